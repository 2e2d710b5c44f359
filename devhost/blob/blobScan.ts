import { BlobPathPattern } from './blobPath';

/** The two listings a scan uses; `ContainerClient` has both. */
export interface BlobLister<B extends { name: string }> {
  listBlobsFlat(options: { prefix: string }): AsyncIterable<B>;
  listBlobsByHierarchy(
    delimiter: string,
    options: { prefix: string },
  ): AsyncIterable<{ kind: 'prefix'; name: string } | ({ kind: 'blob' } & B)>;
}

const singleParameter = /^\{[A-Za-z_][A-Za-z0-9_]*\}$/;

/**
 * The blobs a scan looks at for a trigger pattern, listed no wider than the pattern allows: a literal folder narrows
 * the prefix, a `{parameter}/` folder is enumerated one level down, and what is left is one flat listing under the
 * literal prefix. Every blob the pattern matches is among them. A scan every second of a landing container whose
 * `<pipeline>/` holds 1,400 images, for `{pipeline}/_READY`, reads one folder listing and the marker instead of
 * 1,400 listed blobs, which Azurite serialised and the host parsed as XML: about 18 s of CPU during a 76 s training.
 */
export async function* blobsToScan<B extends { name: string }>(lister: BlobLister<B>, pattern: BlobPathPattern): AsyncGenerator<B> {
  yield* walk(lister, pattern.segments, '');
}

async function* walk<B extends { name: string }>(lister: BlobLister<B>, segments: string[], prefix: string): AsyncGenerator<B> {
  const [segment, ...below] = segments;
  if (segment !== undefined && below.length > 0 && !segment.includes('{')) {
    yield* walk(lister, below, `${prefix}${segment}/`);
  } else if (segment !== undefined && below.length > 0 && singleParameter.test(segment)) {
    for await (const item of lister.listBlobsByHierarchy('/', { prefix }))
      if (item.kind === 'prefix') yield* walk(lister, below, item.name);
  } else {
    // A parameter inside a segment may span folders: list everything under the literal text before it.
    yield* lister.listBlobsFlat({ prefix: prefix + (segment ?? '').split('{')[0] });
  }
}
