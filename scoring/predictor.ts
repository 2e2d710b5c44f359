import * as ort from 'onnxruntime-node';
import { declaredSize, decodeImage, imageFromPixels, ImageInputError, maxPixels, RgbImage, writeTensor } from './imagePreprocessing';
import { ModelManifest, TensorSpec } from './manifest';
import { LoadedPackage } from './modelPackage';
import { ScoreInput, ScoreInputError } from './scoreInput';

export interface Prediction {
  label: string;
  index: number;
  probabilities: Record<string, number>;
}

/** Model-ready rows: per model input, `count` rows laid end to end (a row is 3×H×W floats, or one feature). */
export interface EncodedRows {
  count: number;
  values: Record<string, Float32Array | string[]>;
}

/** Several requests' rows as one batch, in order (the batcher splits the predictions back by `count`). */
export function concatRows(batches: EncodedRows[]): EncodedRows {
  if (batches.length === 1) return batches[0];
  const values: EncodedRows['values'] = {};
  for (const name of Object.keys(batches[0].values)) {
    const parts = batches.map((b) => b.values[name]);
    if (parts[0] instanceof Float32Array) {
      const joined = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      let offset = 0;
      for (const part of parts as Float32Array[]) {
        joined.set(part, offset);
        offset += part.length;
      }
      values[name] = joined;
    } else values[name] = (parts as string[][]).flat();
  }
  return { count: batches.reduce((n, b) => n + b.count, 0), values };
}

/** One ONNX session over a model package: checks and encodes request inputs, and runs them. */
export class Predictor {
  readonly #rowShapes: Record<string, number[]>;

  private constructor(
    readonly manifest: ModelManifest,
    private readonly session: ort.InferenceSession,
  ) {
    const p = manifest.preprocessing;
    this.#rowShapes = Object.fromEntries(
      manifest.model.inputs.map((spec) => [
        spec.name,
        p && manifest.task === 'image-classification' ? [3, p.resize.height, p.resize.width] : [1],
      ]),
    );
  }

  static async create(pkg: LoadedPackage, threads = 1): Promise<Predictor> {
    const session = await ort.InferenceSession.create(pkg.modelBytes, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
    return new Predictor(pkg.manifest, session);
  }

  /** The request's rows as model input, or a ScoreInputError naming what is wrong. */
  encode(input: ScoreInput): EncodedRows {
    return this.manifest.task === 'image-classification' ? this.#encodeImages(input) : this.#encodeTabular(input);
  }

  async infer(rows: EncodedRows): Promise<Prediction[]> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const spec of this.manifest.model.inputs) {
      const values = rows.values[spec.name];
      const dims = [rows.count, ...this.#rowShapes[spec.name]];
      feeds[spec.name] = values instanceof Float32Array ? new ort.Tensor('float32', values, dims) : new ort.Tensor('string', values, dims);
    }
    const results = await this.session.run(feeds);
    const labels = this.manifest.labels;
    const outputs = this.manifest.model.outputs;
    const indices = Array.from(results[outputs.find((o) => o.dtype === 'int64')?.name ?? 'label'].data as BigInt64Array, Number);
    const probabilities = results[outputs.find((o) => o.dtype === 'float32')?.name ?? 'probabilities'].data as Float32Array;
    return indices.map((index, row) => ({
      index,
      label: labels[index],
      probabilities: Object.fromEntries(labels.map((label, k) => [label, probabilities[row * labels.length + k]])),
    }));
  }

  async predict(input: ScoreInput): Promise<Prediction[]> {
    return this.infer(this.encode(input));
  }

  #encodeImages(input: ScoreInput): EncodedRows {
    if (input.kind === 'rows')
      throw new ScoreInputError(
        'SCORE.BAD_INPUT',
        'this is an image model: send "data" (pixel rows), "images" (base64 PNG/JPEG) or a multipart upload',
      );
    const p = this.manifest.preprocessing;
    if (!p) throw new Error('the package has no image preprocessing');
    const size = 3 * p.resize.height * p.resize.width;
    const count = input.kind === 'data' ? input.rows.length : input.images.length;
    const tensor = new Float32Array(count * size);
    if (input.kind === 'data') input.rows.forEach((row, i) => writeTensor(pixelRow(row, i), p, tensor, i * size));
    else {
      checkRequestPixels(input.images);
      // One decoded image alive at a time: a request costs one image's pixels, not all of them at once.
      input.images.forEach(({ bytes, source }, i) =>
        writeTensor(
          atSource(source, () => decodeImage(bytes)),
          p,
          tensor,
          i * size,
        ),
      );
    }
    return { count, values: { [this.manifest.model.inputs[0].name]: tensor } };
  }

  #encodeTabular(input: ScoreInput): EncodedRows {
    const specs = this.manifest.model.inputs;
    if (input.kind === 'images')
      throw new ScoreInputError(
        'SCORE.BAD_INPUT',
        'this is a tabular model: send "rows" ([{column: value}, ...]) or "data" (feature rows)',
      );
    const rows =
      input.kind === 'rows'
        ? input.rows.map((row, i) => checkColumns(row, i, specs))
        : input.rows.map((row, i) => featureRow(row, i, specs));
    const values: EncodedRows['values'] = {};
    for (const spec of specs) {
      const column = rows.map((row, i) =>
        cell(row[spec.name], spec, input.kind === 'rows' ? `rows[${i}].${spec.name}` : `data[${i}] (${spec.name})`),
      );
      values[spec.name] = spec.dtype === 'string' ? (column as string[]) : Float32Array.from(column as number[]);
    }
    return { count: rows.length, values };
  }
}

/** The most pixels one request's images may declare together: the decoding time a single request may take. */
export const maxRequestPixels = 4 * maxPixels;

/** Work on one of the request's images, its refusal named by where in the request the image was. */
function atSource<T>(source: string, work: () => T): T {
  try {
    return work();
  } catch (err) {
    if (err instanceof ImageInputError) throw new ScoreInputError(err.code, `${source}: ${err.message}`);
    throw err;
  }
}

/** Every image's header checked, and their declared pixels summed, before the first one is decoded. */
function checkRequestPixels(images: { bytes: Buffer; source: string }[]): void {
  let total = 0;
  for (const { bytes, source } of images) {
    const { width, height } = atSource(source, () => declaredSize(bytes));
    total += width * height;
  }
  if (total > maxRequestPixels)
    throw new ScoreInputError(
      'SCORE.IMAGE_TOO_LARGE',
      `the images declare ${total} pixels together; at most ${maxRequestPixels} are accepted per request`,
    );
}

function pixelRow(row: (number | string)[], i: number): RgbImage {
  if (row.some((v) => typeof v !== 'number')) throw new ScoreInputError('SCORE.BAD_INPUT', `data[${i}] must be an array of pixel numbers`);
  const image = row.length > 0 ? imageFromPixels(row as number[]) : undefined;
  if (!image)
    throw new ScoreInputError(
      'SCORE.WRONG_LENGTH',
      `data[${i}] has ${row.length} values; a row is a square image: n×n greyscale or n×n×3 RGB pixel values, ` +
        'e.g. 784 for 28×28 greyscale (see GET /metadata)',
    );
  return image;
}

function featureRow(row: (number | string)[], i: number, specs: TensorSpec[]): Record<string, unknown> {
  if (row.length !== specs.length)
    throw new ScoreInputError(
      'SCORE.WRONG_LENGTH',
      `data[${i}] has ${row.length} values; this model takes ${specs.length} features in this order: ${specs.map((s) => s.name).join(', ')}`,
    );
  return Object.fromEntries(specs.map((spec, k) => [spec.name, row[k]]));
}

function checkColumns(row: Record<string, unknown>, i: number, specs: TensorSpec[]): Record<string, unknown> {
  const names = new Set(specs.map((s) => s.name));
  const unknown = Object.keys(row).filter((k) => !names.has(k));
  const missing = specs.map((s) => s.name).filter((n) => !(n in row));
  if (unknown.length > 0 || missing.length > 0) {
    const problems = [
      unknown.length > 0 && `unknown columns ${unknown.join(', ')}`,
      missing.length > 0 && `missing columns ${missing.join(', ')}`,
    ];
    throw new ScoreInputError(
      'SCORE.BAD_COLUMNS',
      `rows[${i}] has ${problems.filter(Boolean).join(' and ')}; the model's columns are ${[...names].join(', ')}`,
    );
  }
  return row;
}

function cell(value: unknown, spec: TensorSpec, where: string): number | string {
  if (spec.dtype === 'string') {
    if (typeof value !== 'string') throw new ScoreInputError('SCORE.BAD_VALUE', `${where} must be a string`);
    return value;
  }
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new ScoreInputError('SCORE.BAD_VALUE', `${where} must be a finite number`);
  return value;
}
