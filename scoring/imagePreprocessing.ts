import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { ImagePreprocessing } from './manifest';

/** Bytes that are not a decodable PNG or JPEG, or one too large to decode. */
export class ImageInputError extends Error {
  constructor(
    message: string,
    readonly code: 'SCORE.NOT_AN_IMAGE' | 'SCORE.IMAGE_TOO_LARGE' = 'SCORE.NOT_AN_IMAGE',
  ) {
    super(message);
  }
}

export interface RgbImage {
  width: number;
  height: number;
  /** height × width × 3, 0–255. */
  pixels: Float32Array;
}

/** 4096×4096: a few hundred bytes of PNG can declare gigapixels, and decoding allocates per pixel. */
const maxPixels = 4096 * 4096;

/** Refuses a PNG whose header declares more than `maxPixels` before anything is allocated for it. */
function checkPngSize(bytes: Buffer): void {
  if (bytes.length < 24 || bytes.toString('latin1', 12, 16) !== 'IHDR') return;
  const width = bytes.readUInt32BE(16);
  const height = bytes.readUInt32BE(20);
  if (width * height > maxPixels)
    throw new ImageInputError(`the PNG is ${width}×${height} pixels; at most ${maxPixels} pixels are accepted`, 'SCORE.IMAGE_TOO_LARGE');
}

/** PNG or JPEG bytes to RGB; greyscale replicated, alpha dropped without compositing (as the jobs do). */
export function decodeImage(bytes: Buffer): RgbImage {
  let width: number;
  let height: number;
  let rgba: Uint8Array;
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    checkPngSize(bytes);
    try {
      const png = PNG.sync.read(bytes);
      ({ width, height } = png);
      rgba = png.data;
    } catch (err) {
      throw new ImageInputError(`the PNG could not be decoded: ${(err as Error).message}`);
    }
  } else if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    try {
      const image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: maxPixels / 1e6 });
      ({ width, height } = image);
      rgba = image.data;
    } catch (err) {
      const message = (err as Error).message;
      if (/maxResolutionInMP/.test(message))
        throw new ImageInputError(`the JPEG has more than ${maxPixels} pixels, the most accepted`, 'SCORE.IMAGE_TOO_LARGE');
      throw new ImageInputError(`the JPEG could not be decoded: ${message}`);
    }
  } else {
    throw new ImageInputError('not a PNG or JPEG image');
  }
  const pixels = new Float32Array(width * height * 3);
  for (let i = 0, j = 0; i < width * height; i++, j += 4) {
    pixels[i * 3] = rgba[j];
    pixels[i * 3 + 1] = rgba[j + 1];
    pixels[i * 3 + 2] = rgba[j + 2];
  }
  return { width, height, pixels };
}

/**
 * A row of raw pixels, as the ACI walkthrough sent them: a square greyscale image (n×n values) or an
 * interleaved RGB one (n×n×3), row-major, 0–255. Undefined when the length is neither.
 */
export function imageFromPixels(row: number[]): RgbImage | undefined {
  const grey = Math.round(Math.sqrt(row.length));
  const colour = Math.round(Math.sqrt(row.length / 3));
  if (grey * grey === row.length) {
    const pixels = new Float32Array(row.length * 3);
    row.forEach((v, i) => pixels.fill(v, i * 3, i * 3 + 3));
    return { width: grey, height: grey, pixels };
  }
  if (colour * colour * 3 === row.length) return { width: colour, height: colour, pixels: Float32Array.from(row) };
  return undefined;
}

function axisWeights(sizeIn: number, sizeOut: number): { low: Int32Array; high: Int32Array; weight: Float32Array } {
  const low = new Int32Array(sizeOut);
  const high = new Int32Array(sizeOut);
  const weight = new Float32Array(sizeOut);
  const ratio = Math.fround(sizeIn / sizeOut);
  for (let i = 0; i < sizeOut; i++) {
    let source = Math.fround(Math.fround(Math.fround(i + 0.5) * ratio) - 0.5);
    source = Math.min(Math.max(source, 0), sizeIn - 1);
    low[i] = Math.floor(source);
    high[i] = Math.min(low[i] + 1, sizeIn - 1);
    weight[i] = Math.fround(source - low[i]);
  }
  return { low, high, weight };
}

/**
 * Bilinear resize with half-pixel centres and edge clamping, then channel order, scale and
 * normalisation, into `out` at `offset` as one NCHW image — the manifest's preprocessing.
 */
export function writeTensor(image: RgbImage, p: ImagePreprocessing, out: Float32Array, offset: number): void {
  const { width, height } = p.resize;
  const ys = axisWeights(image.height, height);
  const xs = axisWeights(image.width, width);
  const order = p.channelOrder === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  const plane = width * height;
  const src = image.pixels;
  const rowStride = image.width * 3;
  for (let c = 0; c < 3; c++) {
    const channel = order[c];
    const scale = Math.fround(p.scale);
    const mean = Math.fround(p.mean[c]);
    const std = Math.fround(p.std[c]);
    for (let y = 0; y < height; y++) {
      const wy = ys.weight[y];
      const top = ys.low[y] * rowStride;
      const bottom = ys.high[y] * rowStride;
      for (let x = 0; x < width; x++) {
        const wx = xs.weight[x];
        const left = xs.low[x] * 3 + channel;
        const right = xs.high[x] * 3 + channel;
        const t = Math.fround(Math.fround(src[top + left] * (1 - wx)) + Math.fround(src[top + right] * wx));
        const b = Math.fround(Math.fround(src[bottom + left] * (1 - wx)) + Math.fround(src[bottom + right] * wx));
        const value = Math.fround(Math.fround(t * (1 - wy)) + Math.fround(b * wy));
        out[offset + c * plane + y * width + x] = Math.fround(Math.fround(Math.fround(value * scale) - mean) / std);
      }
    }
  }
}
