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
  /** height × width × `channels` values, 0–255; the first three of each pixel are r, g, b. */
  pixels: ArrayLike<number>;
  /** Values per pixel: 3 for RGB rows, 4 for decoded RGBA (the alpha is read by no one). */
  channels: 3 | 4;
}

/** 4096×4096: a few hundred bytes of PNG can declare gigapixels, and decoding allocates per pixel. */
export const maxPixels = 4096 * 4096;

/** The size an image declares in its header, read before anything is allocated for its pixels. */
export interface DeclaredSize {
  width: number;
  height: number;
}

const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const isPng = (bytes: Buffer): boolean => bytes.length >= 8 && bytes.subarray(0, 8).equals(pngSignature);
const isJpeg = (bytes: Buffer): boolean => bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;

function pngSize(bytes: Buffer): DeclaredSize {
  if (bytes.length < 24 || bytes.toString('latin1', 12, 16) !== 'IHDR') throw new ImageInputError('the PNG has no IHDR header');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** The first start-of-frame marker's size; markers are walked by their lengths, never decoded. */
function jpegSize(bytes: Buffer): DeclaredSize {
  let at = 2;
  while (at + 9 <= bytes.length) {
    if (bytes[at] !== 0xff) throw new ImageInputError('the JPEG has a malformed marker');
    const marker = bytes[at + 1];
    if (marker === 0xff) {
      at += 1;
      continue;
    }
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) return { height: bytes.readUInt16BE(at + 5), width: bytes.readUInt16BE(at + 7) };
    at += 2 + bytes.readUInt16BE(at + 2);
  }
  throw new ImageInputError('the JPEG has no frame header');
}

/**
 * What decoding the image would cost, from its header alone: an empty image or one past `maxPixels` is refused
 * here, so no request pays for pixels it declared but should not have.
 */
export function declaredSize(bytes: Buffer): DeclaredSize {
  let size: DeclaredSize;
  if (isPng(bytes)) size = pngSize(bytes);
  else if (isJpeg(bytes)) size = jpegSize(bytes);
  else throw new ImageInputError('not a PNG or JPEG image');
  if (size.width === 0 || size.height === 0) throw new ImageInputError(`the image declares ${size.width}×${size.height} pixels`);
  if (size.width * size.height > maxPixels)
    throw new ImageInputError(
      `the image is ${size.width}×${size.height} pixels; at most ${maxPixels} pixels are accepted`,
      'SCORE.IMAGE_TOO_LARGE',
    );
  return size;
}

/**
 * PNG or JPEG bytes to RGBA, checked by `declaredSize` first; greyscale replicated, alpha ignored without compositing
 * (as the jobs do). The decoder's own buffer is the image: no second copy of a large image is made.
 */
export function decodeImage(bytes: Buffer): RgbImage {
  const declared = declaredSize(bytes);
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = isPng(bytes)
      ? PNG.sync.read(bytes)
      : jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: maxPixels / 1e6 });
  } catch (err) {
    throw new ImageInputError(`the ${isPng(bytes) ? 'PNG' : 'JPEG'} could not be decoded: ${(err as Error).message}`);
  }
  if (decoded.width !== declared.width || decoded.height !== declared.height || decoded.data.length < decoded.width * decoded.height * 4)
    throw new ImageInputError('the image decodes to another size than its header declares');
  return { width: decoded.width, height: decoded.height, pixels: decoded.data, channels: 4 };
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
    return { width: grey, height: grey, pixels, channels: 3 };
  }
  if (colour * colour * 3 === row.length) return { width: colour, height: colour, pixels: Float32Array.from(row), channels: 3 };
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
  const stride = image.channels;
  const rowStride = image.width * stride;
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
        const left = xs.low[x] * stride + channel;
        const right = xs.high[x] * stride + channel;
        const t = Math.fround(Math.fround(src[top + left] * (1 - wx)) + Math.fround(src[top + right] * wx));
        const b = Math.fround(Math.fround(src[bottom + left] * (1 - wx)) + Math.fround(src[bottom + right] * wx));
        const value = Math.fround(Math.fround(t * (1 - wy)) + Math.fround(b * wy));
        out[offset + c * plane + y * width + x] = Math.fround(Math.fround(Math.fround(value * scale) - mean) / std);
      }
    }
  }
}
