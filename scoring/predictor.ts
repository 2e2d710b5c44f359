import * as ort from 'onnxruntime-node';
import { decodeImage, imageFromPixels, ImageInputError, RgbImage, writeTensor } from './imagePreprocessing';
import { LoadedPackage } from './modelPackage';
import { ModelManifest } from './manifest';

export class ScoreInputError extends Error {
  readonly code = 'SCORE.BAD_INPUT';
}

export interface Prediction {
  label: string;
  index: number;
  probabilities: Record<string, number>;
}

export type ScoreInput =
  { kind: 'pixels'; rows: number[][] } | { kind: 'images'; images: Buffer[] } | { kind: 'rows'; rows: Record<string, unknown>[] };

/** One ONNX session over a model package, turning request inputs into predictions. */
export class Predictor {
  private constructor(
    readonly manifest: ModelManifest,
    private readonly session: ort.InferenceSession,
  ) {}

  static async create(pkg: LoadedPackage, threads = 1): Promise<Predictor> {
    const session = await ort.InferenceSession.create(pkg.modelBytes, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
    return new Predictor(pkg.manifest, session);
  }

  async predict(input: ScoreInput): Promise<Prediction[]> {
    const feeds = this.manifest.task === 'image-classification' ? this.#imageFeeds(input) : this.#tabularFeeds(input);
    const results = await this.session.run(feeds);
    const labels = this.manifest.labels;
    const labelOut = results[this.manifest.model.outputs.find((o) => o.dtype === 'int64')?.name ?? 'label'];
    const probOut = results[this.manifest.model.outputs.find((o) => o.dtype === 'float32')?.name ?? 'probabilities'];
    const indices = Array.from(labelOut.data as BigInt64Array, Number);
    const probabilities = probOut.data as Float32Array;
    return indices.map((index, row) => ({
      index,
      label: labels[index],
      probabilities: Object.fromEntries(labels.map((label, k) => [label, probabilities[row * labels.length + k]])),
    }));
  }

  #imageFeeds(input: ScoreInput): Record<string, ort.Tensor> {
    let images: RgbImage[];
    try {
      if (input.kind === 'pixels') images = input.rows.map(imageFromPixels);
      else if (input.kind === 'images') images = input.images.map(decodeImage);
      else throw new ScoreInputError('this is an image model: send "data" (pixel rows) or "images" (base64 PNG/JPEG), not "rows"');
    } catch (err) {
      if (err instanceof ImageInputError) throw new ScoreInputError(err.message);
      throw err;
    }
    const p = this.manifest.preprocessing;
    if (!p) throw new ScoreInputError('the package has no image preprocessing');
    const size = 3 * p.resize.height * p.resize.width;
    const tensor = new Float32Array(images.length * size);
    images.forEach((image, i) => writeTensor(image, p, tensor, i * size));
    return { [this.manifest.model.inputs[0].name]: new ort.Tensor('float32', tensor, [images.length, 3, p.resize.height, p.resize.width]) };
  }

  #tabularFeeds(input: ScoreInput): Record<string, ort.Tensor> {
    if (input.kind !== 'rows') throw new ScoreInputError('this is a tabular model: send "rows" ([{column: value}, ...])');
    const feeds: Record<string, ort.Tensor> = {};
    for (const spec of this.manifest.model.inputs) {
      const values = input.rows.map((row, i) => {
        const value = row[spec.name];
        if (value === undefined || value === null) throw new ScoreInputError(`row ${i} has no value for "${spec.name}"`);
        if (spec.dtype === 'string') return String(value);
        const number = typeof value === 'number' ? value : Number(value);
        if (!Number.isFinite(number)) throw new ScoreInputError(`row ${i}: "${spec.name}" must be a number`);
        return number;
      });
      feeds[spec.name] =
        spec.dtype === 'string'
          ? new ort.Tensor('string', values as string[], [values.length, 1])
          : new ort.Tensor('float32', Float32Array.from(values as number[]), [values.length, 1]);
    }
    return feeds;
  }
}
