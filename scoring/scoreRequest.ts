import { HttpError } from './httpError';
import { MultipartError, multipartBoundary, parseMultipart } from './multipart';
import { ScoreInput, ScoreInputError } from './scoreInput';

const base64 = /^[A-Za-z0-9+/]*={0,2}$/;

function tooManyRows(maxRows: number, got?: number): ScoreInputError {
  return new ScoreInputError(
    'SCORE.TOO_MANY_ROWS',
    `at most ${maxRows} rows or images per request${got === undefined ? '' : ` (got ${got})`}`,
  );
}

function decodeBase64(item: unknown, i: number): Buffer {
  // Data URLs (`data:image/png;base64,...`) and line-wrapped base64 are accepted as browsers and tools write them.
  const text = typeof item === 'string' ? item.replace(/^data:[^;,]*;base64,/, '').replace(/\s+/g, '') : '';
  if (text === '' || text.length % 4 !== 0 || !base64.test(text))
    throw new ScoreInputError('SCORE.BAD_BASE64', `images[${i}] is not a base64 string`);
  return Buffer.from(text, 'base64');
}

function parseJson(body: Buffer, maxRows: number): ScoreInput {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ScoreInputError('SCORE.BAD_JSON', 'the body is not valid JSON');
  }
  if (!json || typeof json !== 'object' || Array.isArray(json))
    throw new ScoreInputError('SCORE.BAD_INPUT', 'send a JSON object with "data", "images" or "rows"');
  const request = json as Record<string, unknown>;
  const given = ['data', 'images', 'rows'].filter((k) => k in request);
  if (given.length !== 1) throw new ScoreInputError('SCORE.BAD_INPUT', 'send exactly one of "data", "images" or "rows"');
  const field = given[0];
  const items = request[field];
  if (!Array.isArray(items) || items.length === 0) throw new ScoreInputError('SCORE.BAD_INPUT', `"${field}" must be a non-empty array`);
  if (items.length > maxRows) throw tooManyRows(maxRows, items.length);
  if (field === 'data') {
    items.forEach((row, i) => {
      if (!Array.isArray(row) || row.some((v) => typeof v !== 'string' && (typeof v !== 'number' || !Number.isFinite(v))))
        throw new ScoreInputError('SCORE.BAD_INPUT', `data[${i}] must be an array of numbers`);
    });
    return { kind: 'data', rows: items as (number | string)[][] };
  }
  if (field === 'images')
    return { kind: 'images', images: items.map((item, i) => ({ bytes: decodeBase64(item, i), source: `images[${i}]` })) };
  items.forEach((row, i) => {
    if (!row || typeof row !== 'object' || Array.isArray(row))
      throw new ScoreInputError('SCORE.BAD_INPUT', `rows[${i}] must be an object of column values`);
  });
  return { kind: 'rows', rows: items as Record<string, unknown>[] };
}

/** Every file part, and every part whose type says image, is an image; plain form fields are ignored. */
function parseUpload(body: Buffer, contentType: string, maxRows: number): ScoreInput {
  let images;
  try {
    images = parseMultipart(body, multipartBoundary(contentType), 4 * maxRows, () => tooManyRows(maxRows))
      .filter((part) => part.filename !== undefined || part.contentType?.startsWith('image/'))
      .map((part, i) => ({ bytes: part.data, source: `part ${JSON.stringify(part.filename ?? part.name ?? String(i))}` }));
  } catch (err) {
    if (err instanceof MultipartError) throw new ScoreInputError('SCORE.BAD_MULTIPART', `the multipart body is malformed: ${err.message}`);
    throw err;
  }
  if (images.length === 0)
    throw new ScoreInputError('SCORE.NO_IMAGES', 'the multipart body has no image parts (file uploads or image/* parts)');
  if (images.length > maxRows) throw tooManyRows(maxRows, images.length);
  return { kind: 'images', images };
}

/**
 * A `/score` body by its Content-Type: JSON (`{"data"|"images"|"rows": [...]}`; a missing
 * Content-Type is read as JSON, as curl-style clients often send it) or `multipart/form-data` image uploads.
 */
export function parseScoreRequest(contentType: string | undefined, body: Buffer, maxRows: number): ScoreInput {
  const mediaType = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (mediaType === '' || mediaType === 'application/json' || mediaType.endsWith('+json')) return parseJson(body, maxRows);
  if (mediaType === 'multipart/form-data') return parseUpload(body, contentType ?? '', maxRows);
  throw new HttpError(
    415,
    'SCORE.UNSUPPORTED_MEDIA_TYPE',
    `Content-Type ${mediaType} is not supported: send application/json or multipart/form-data`,
  );
}
