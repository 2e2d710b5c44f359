import { IncomingMessage } from 'node:http';
import { HttpError } from './httpError';

function tooLarge(limit: number): HttpError {
  return new HttpError(413, 'SCORE.TOO_LARGE', `the body is larger than ${limit} bytes`);
}

/**
 * The whole body, or a 413 as soon as it passes `limit` bytes — from Content-Length when there is
 * one, else while a chunked body streams in. The rest of an oversized body is read and dropped, not
 * kept, rather than the request destroyed: that would reset the socket before the 413 is sent.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let oversized = false;
    req.on('data', (chunk: Buffer) => {
      if (oversized) return;
      size += chunk.length;
      if (size > limit) {
        oversized = true;
        chunks.length = 0;
        reject(tooLarge(limit));
      } else chunks.push(chunk);
    });
    req.on('end', () => {
      if (!oversized) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}
