import path from 'node:path';
import { ApiError } from './http';

/** Where the dashboard's bundle lands: dist/dashboard/, beside the compiled functions/, in the repository and the package. */
const assetRoot = path.resolve(__dirname, '..', '..', 'dashboard');

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** The page loads only its own scripts, styles and data: no inline code, no third-party origin, no framing. */
export const dashboardCsp = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

/** esbuild's `[name]-[hash]` names: such a file never changes, so the browser may keep it for good. */
const hashedName = /-[A-Za-z0-9]{8,}\.[a-z0-9]+$/;

/** The file a request path names under the asset root; a path with no extension is a page of the app, so index.html. */
export function assetFile(requestPath: string): string {
  const segments = requestPath.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '..' || s.startsWith('.') || s.includes('\\') || s.includes('\0')))
    throw new ApiError(404, 'DASHBOARD.NOT_FOUND', 'no such dashboard file');
  const relative = segments.length === 0 || path.extname(segments[segments.length - 1]) === '' ? 'index.html' : segments.join('/');
  const file = path.resolve(assetRoot, relative);
  if (!file.startsWith(assetRoot + path.sep)) throw new ApiError(404, 'DASHBOARD.NOT_FOUND', 'no such dashboard file');
  return file;
}

export function assetHeaders(file: string): Record<string, string> {
  const name = path.basename(file);
  return {
    'content-type': contentTypes[path.extname(name).toLowerCase()] ?? 'application/octet-stream',
    'cache-control': name !== 'index.html' && hashedName.test(name) ? 'public, max-age=31536000, immutable' : 'no-cache',
    'content-security-policy': dashboardCsp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
    'x-frame-options': 'DENY',
  };
}
