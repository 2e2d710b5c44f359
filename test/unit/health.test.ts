import { checkHealth } from '../../shared/domain/health';
import { DependencyProbe } from '../../shared/ports/dependencyProbe';

const probe = (name: string, check: (signal: AbortSignal) => Promise<void>): DependencyProbe => ({ name, check });

describe('health check', () => {
  it('is healthy when every dependency answers', async () => {
    const report = await checkHealth([probe('a', async () => undefined), probe('b', async () => undefined)], '1.2.3', 1000);
    expect(report.status).toBe('healthy');
    expect(report.version).toBe('1.2.3');
    expect(Object.keys(report.dependencies)).toEqual(['a', 'b']);
  });

  it('reports a failing dependency and bounds a hanging one, aborting it', async () => {
    let aborted = false;
    const hanging = probe('slow', (signal) => new Promise(() => signal.addEventListener('abort', () => (aborted = true))));
    const failing = probe('bad', async () => {
      throw new Error('connect ECONNREFUSED\nstack...');
    });
    const started = Date.now();
    const report = await checkHealth([hanging, failing], 'v', 100);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(report.status).toBe('degraded');
    expect(report.dependencies.slow).toMatchObject({ status: 'down', error: 'no answer within 100 ms' });
    expect(report.dependencies.bad).toMatchObject({ status: 'down', error: 'connect ECONNREFUSED' });
    expect(aborted).toBe(true);
  });
});
