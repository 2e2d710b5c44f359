import { BlobStore } from '../../ports/blobStore';

const concurrency = 8;

/** The abfss URI Spark on HDInsight uses for a path in the cluster's ADLS Gen2 file system. */
export function abfsUri(account: string, container: string, name: string): string {
  return `abfss://${container}@${account}.dfs.core.windows.net/${name}`;
}

/**
 * Copies every blob under `from.prefix` in one store to `to.prefix` in another (the app's storage and the clusters'
 * ADLS Gen2 account are different accounts, reached with the same identity), `_SUCCESS` last so a reader that sees it
 * sees everything, then writes `marker` under the target: a copy that has its marker is not done again.
 */
export async function copyFolder(
  from: { store: BlobStore; container: string; prefix: string },
  to: { store: BlobStore; container: string; prefix: string },
  marker: string,
): Promise<void> {
  const markerRef = { container: to.container, name: `${to.prefix}${marker}` };
  if (await to.store.getInfo(markerRef)) return;
  await to.store.ensureContainer(to.container);
  const names: string[] = [];
  let continuation: string | undefined;
  do {
    const page = await from.store.list(from.container, from.prefix, { continuation, pageSize: 1000 });
    names.push(...page.items.map((item) => item.name).filter((name) => name !== `${from.prefix}${marker}`));
    continuation = page.next;
  } while (continuation);
  const copy = async (name: string) => {
    const content = await from.store.get({ container: from.container, name });
    if (content) await to.store.create({ container: to.container, name: `${to.prefix}${name.slice(from.prefix.length)}` }, content);
  };
  const isSuccess = (name: string) => name.endsWith('/_SUCCESS') || name === `${from.prefix}_SUCCESS`;
  const queue = names.filter((name) => !isSuccess(name));
  await Promise.all(
    Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
      for (let name = queue.shift(); name !== undefined; name = queue.shift()) await copy(name);
    }),
  );
  for (const name of names.filter(isSuccess)) await copy(name);
  await to.store.create(markerRef, new Date().toISOString());
}
