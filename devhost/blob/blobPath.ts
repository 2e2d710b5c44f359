export class BlobPathError extends Error {
  readonly code = 'DEVHOST.BLOB_PATH';
}

export interface BlobPathPattern {
  container: string;
  parameterNames: string[];
  /** The path below the container split at `/`: what a scan narrows its listings by (`blobScan.ts`). */
  segments: string[];
  /** Binding data (`{name}`, `{folder}`…) for a blob name, or undefined when it does not match. */
  match(blobName: string): Record<string, string> | undefined;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Parses a blob trigger path such as `images/{folder}/{name}.png`. The first segment is the
 * container; a parameter followed by `/` stays within one folder level, any other spans folders.
 */
export function parseBlobPath(path: string): BlobPathPattern {
  const slash = path.indexOf('/');
  const container = slash < 0 ? path : path.slice(0, slash);
  const rest = slash < 0 ? '' : path.slice(slash + 1);
  if (!/^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/.test(container)) {
    throw new BlobPathError(`Blob trigger path "${path}": "${container}" is not a valid container name.`);
  }
  const parameterNames: string[] = [];
  let regex = '^';
  let last = 0;
  const tokens = [...rest.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)];
  for (const token of tokens) {
    regex += escapeRegex(rest.slice(last, token.index));
    last = (token.index ?? 0) + token[0].length;
    parameterNames.push(token[1]);
    regex += rest[last] === '/' ? '([^/]+)' : '(.+?)';
  }
  regex += escapeRegex(rest.slice(last));
  if (rest === '') regex += '.+';
  regex += '$';
  if (/[{}]/.test(rest.replace(/\{[A-Za-z_][A-Za-z0-9_]*\}/g, ''))) {
    throw new BlobPathError(`Blob trigger path "${path}" has a malformed parameter.`);
  }
  const compiled = new RegExp(regex);
  return {
    container,
    parameterNames,
    segments: rest === '' ? [] : rest.split('/'),
    match(blobName: string) {
      const m = compiled.exec(blobName);
      if (!m) return undefined;
      return Object.fromEntries(parameterNames.map((name, i) => [name, m[i + 1]]));
    },
  };
}
