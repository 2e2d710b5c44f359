/** One part of a `multipart/form-data` body (RFC 7578). */
export interface MultipartPart {
  name?: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

export class MultipartError extends Error {}

const crlf = Buffer.from('\r\n');
const headerEnd = Buffer.from('\r\n\r\n');

/** The boundary of a `multipart/form-data` Content-Type, or a MultipartError when it has none. */
export function multipartBoundary(contentType: string): string {
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary) throw new MultipartError('the multipart/form-data Content-Type has no boundary');
  return boundary;
}

function parameter(header: string, name: string): string | undefined {
  const match = new RegExp(`;\\s*${name}="((?:[^"\\\\]|\\\\.)*)"|;\\s*${name}=([^\\s;]+)`, 'i').exec(header);
  const value = match?.[1] ?? match?.[2];
  return value?.replace(/\\(.)/g, '$1');
}

function parseHeaders(text: string): Omit<MultipartPart, 'data'> {
  const part: Omit<MultipartPart, 'data'> = {};
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) throw new MultipartError(`a part header line has no colon: ${JSON.stringify(line.slice(0, 80))}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-disposition') {
      part.name = parameter(value, 'name');
      part.filename = parameter(value, 'filename');
    } else if (name === 'content-type') part.contentType = value.toLowerCase();
  }
  return part;
}

/**
 * Splits a whole (already size-limited) body into its parts. A preamble before the first boundary
 * and an epilogue after the closing one are ignored, as RFC 2046 says; more than `maxParts` parts
 * fail early with `tooMany` so a body of thousands of tiny parts is not split completely first.
 */
export function parseMultipart(body: Buffer, boundary: string, maxParts: number, tooMany: () => Error): MultipartPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const between = Buffer.from(`\r\n--${boundary}`);
  let position = body.subarray(0, delimiter.length).equals(delimiter) ? 0 : body.indexOf(between);
  if (position < 0) throw new MultipartError('the body does not contain the boundary its Content-Type names');
  if (position > 0) position += crlf.length;
  const parts: MultipartPart[] = [];
  for (;;) {
    position += delimiter.length;
    if (body.subarray(position, position + 2).toString('latin1') === '--') return parts;
    if (!body.subarray(position, position + 2).equals(crlf)) throw new MultipartError('a boundary line is not followed by CRLF');
    position += crlf.length;
    const dataEnd = body.indexOf(between, position);
    if (dataEnd < 0) throw new MultipartError('the body ends before the closing boundary');
    // A part without headers starts with the blank line at once.
    const headersEnd = body.subarray(position, position + 2).equals(crlf) ? position - crlf.length : body.indexOf(headerEnd, position);
    if (headersEnd < 0 || headersEnd > dataEnd) throw new MultipartError('a part has no blank line after its headers');
    if (parts.length === maxParts) throw tooMany();
    const headers = headersEnd > position ? parseHeaders(body.subarray(position, headersEnd).toString('utf8')) : {};
    parts.push({ ...headers, data: body.subarray(headersEnd + headerEnd.length, dataEnd) });
    position = dataEnd + crlf.length;
  }
}
