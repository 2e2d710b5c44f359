import { blobLocationOf } from '../../orchestrations/batchScoring/activities/packageManifest';
import { formatPredictionCsv, pageResultOf, parseCsv, parsePredictionCsv } from '../../orchestrations/batchScoring/predictionCsv';

const labels = ['cat', 'dog'];

describe('prediction CSV', () => {
  it('writes one row per blob and reads it back, quoting what needs it', () => {
    const rows = [
      { blob: 'a/1.png', label: 'dog', probabilities: [0.25, 0.75] },
      { blob: 'a/odd, "name".png', error: 'PNG: bad\nsignature' },
    ];
    const text = formatPredictionCsv(labels, rows);
    expect(text.split('\n')[0]).toBe('blob,predictedLabel,probability_cat,probability_dog,error');
    expect(parsePredictionCsv(text, labels)).toEqual([
      { blob: 'a/1.png', label: 'dog', probabilities: [0.25, 0.75], error: undefined },
      { blob: 'a/odd, "name".png', label: undefined, probabilities: undefined, error: 'PNG: bad\nsignature' },
    ]);
  });

  it("reads Spark's CSV: backslash-escaped quotes, columns in its own order, `path` for the key", () => {
    const spark =
      'path,predictedLabel,probability_dog,probability_cat,error\nfile:/x/1.png,cat,0.1,0.9,\n"file:/x/\\"q\\".png",,,,"cannot \\"decode\\""\n';
    expect(parseCsv(spark)[2]).toEqual(['file:/x/"q".png', '', '', '', 'cannot "decode"']);
    const rows = parsePredictionCsv(spark, labels, 'path');
    expect(rows[0]).toEqual({ blob: 'file:/x/1.png', label: 'cat', probabilities: [0.9, 0.1], error: undefined });
    expect(rows[1].label).toBeUndefined();
    expect(() => parsePredictionCsv(spark, ['cat', 'bird'], 'path')).toThrow(/probability_bird/);
  });

  it('counts a page: per class, scored, failed and a sample of failures', () => {
    const rows = [
      { blob: 'a', label: 'dog', probabilities: [0, 1] },
      { blob: 'b', label: 'dog', probabilities: [0, 1] },
      { blob: 'c', error: 'broken' },
    ];
    expect(pageResultOf(3, labels, rows, false)).toEqual({
      index: 3,
      rows: 3,
      scored: 2,
      failed: 1,
      perClass: { cat: 0, dog: 2 },
      failures: [{ blob: 'c', error: 'broken' }],
      resumed: false,
    });
  });

  it('finds the container and folder of Azure and Azurite blob URLs', () => {
    expect(blobLocationOf('https://acct.blob.core.windows.net/canopy-artifacts/models/m/1/')).toEqual({
      container: 'canopy-artifacts',
      prefix: 'models/m/1/',
    });
    expect(blobLocationOf('http://127.0.0.1:10000/devstoreaccount1/c/a%20b/model/')).toEqual({ container: 'c', prefix: 'a b/model/' });
    expect(() => blobLocationOf('http://127.0.0.1:10000/devstoreaccount1/')).toThrow(/no blob container/);
  });
});
