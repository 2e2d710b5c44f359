import { InferenceBatcher } from '../../scoring/inferenceBatcher';
import { EncodedRows, Prediction } from '../../scoring/predictor';

/** Rows whose single feature is the row's id, so predictions can be traced back to their request. */
function rows(...ids: number[]): EncodedRows {
  return { count: ids.length, values: { x: Float32Array.from(ids) } };
}

function fakeModel(): { calls: number[][]; infer: (r: EncodedRows) => Promise<Prediction[]> } {
  const calls: number[][] = [];
  return {
    calls,
    infer: async (r) => {
      const ids = Array.from(r.values.x as Float32Array);
      calls.push(ids);
      await new Promise((resolve) => setImmediate(resolve));
      return ids.map((id) => ({ label: `row-${id}`, index: id, probabilities: {} }));
    },
  };
}

const labels = (predictions: Prediction[]): string[] => predictions.map((p) => p.label);

describe('inference batching', () => {
  it('coalesces requests that arrive while an inference runs into one call, and gives each its own rows back', async () => {
    const model = fakeModel();
    const batcher = new InferenceBatcher(model.infer, { enabled: true, maxRows: 64, windowMs: 0 });
    const answers = await Promise.all([
      batcher.submit(rows(1)),
      batcher.submit(rows(2, 3)),
      batcher.submit(rows(4)),
      batcher.submit(rows(5)),
    ]);
    expect(answers.map(labels)).toEqual([['row-1'], ['row-2', 'row-3'], ['row-4'], ['row-5']]);
    // The first runs at once (no waiting when idle); the rest queued behind it and ran together.
    expect(model.calls).toEqual([[1], [2, 3, 4, 5]]);
  });

  it('waits up to the window for company when asked to, and never passes the row limit', async () => {
    const model = fakeModel();
    const batcher = new InferenceBatcher(model.infer, { enabled: true, maxRows: 3, windowMs: 5 });
    const answers = await Promise.all([
      batcher.submit(rows(1)),
      batcher.submit(rows(2)),
      batcher.submit(rows(3, 4)),
      batcher.submit(rows(5)),
    ]);
    expect(answers.map(labels)).toEqual([['row-1'], ['row-2'], ['row-3', 'row-4'], ['row-5']]);
    expect(model.calls).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
  });

  it('runs every request on its own when switched off', async () => {
    const model = fakeModel();
    const batcher = new InferenceBatcher(model.infer, { enabled: false, maxRows: 64, windowMs: 0 });
    await Promise.all([batcher.submit(rows(1)), batcher.submit(rows(2)), batcher.submit(rows(3))]);
    expect(model.calls).toEqual([[1], [2], [3]]);
  });

  it('fails every request of a failed batch and carries on with the next', async () => {
    let call = 0;
    const batcher = new InferenceBatcher(
      async (r) => {
        call++;
        await new Promise((resolve) => setImmediate(resolve));
        if (call === 2) throw new Error('onnxruntime failed');
        return Array.from({ length: r.count }, (_, i) => ({ label: `ok-${i}`, index: i, probabilities: {} }));
      },
      { enabled: true, maxRows: 64, windowMs: 0 },
    );
    const results = await Promise.allSettled([batcher.submit(rows(1)), batcher.submit(rows(2)), batcher.submit(rows(3))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    await expect(batcher.submit(rows(4))).resolves.toHaveLength(1);
  });
});
