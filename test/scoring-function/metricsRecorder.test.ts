import { MetricsRecorder } from '../../functions/lib/metricsRecorder';
import { MetricsWindow } from '../../shared/domain/deploymentMetrics';
import { DeploymentMetricsStore } from '../../shared/ports/deploymentMetrics';

/** An in-memory store that refuses adds while `down` is set. */
class FlakyStore implements DeploymentMetricsStore {
  down = false;
  added: MetricsWindow[][] = [];
  async add(windows: MetricsWindow[]): Promise<void> {
    if (this.down) throw new Error('store is down');
    this.added.push(windows.map((w) => structuredClone(w)));
  }
  async list(): Promise<MetricsWindow[]> {
    return this.added.flat();
  }
}

const at = new Date('2026-11-22T10:00:30.000Z');
const outcome = (deployment: string, latencyMs: number, failed = false) => ({ model: 'm', deployment, version: 1, latencyMs, failed, at });

describe('MetricsRecorder', () => {
  let store: FlakyStore;
  let recorder: MetricsRecorder;
  beforeEach(() => {
    store = new FlakyStore();
    // A long interval: these tests flush by hand.
    recorder = new MetricsRecorder(store, 3600, () => undefined);
  });
  afterEach(() => recorder.stop());

  it('adds one window per deployment and minute in one flush, and nothing when there is nothing new', async () => {
    recorder.record(outcome('a', 10));
    recorder.record(outcome('a', 20, true));
    recorder.record(outcome('b', 5));
    recorder.record({ ...outcome('a', 7), at: new Date('2026-11-22T10:01:00.000Z') });
    await recorder.flush();
    expect(store.added).toHaveLength(1);
    expect(store.added[0].map((w) => [w.deployment, w.windowStart, w.requests, w.errors, w.latencyMsSum])).toEqual([
      ['a', '2026-11-22T10:00:00.000Z', 2, 1, 30],
      ['b', '2026-11-22T10:00:00.000Z', 1, 0, 5],
      ['a', '2026-11-22T10:01:00.000Z', 1, 0, 7],
    ]);
    await recorder.flush();
    expect(store.added).toHaveLength(1);
  });

  it('keeps what a failed flush could not add and adds it, with what came since, on the next one', async () => {
    recorder.record(outcome('a', 10, true));
    store.down = true;
    await expect(recorder.flush()).rejects.toThrow('store is down');
    recorder.record(outcome('a', 30));
    store.down = false;
    await recorder.flush();
    expect(store.added.flat().map((w) => [w.deployment, w.requests, w.errors, w.latencyMsSum])).toEqual([['a', 2, 1, 40]]);
  });
});
