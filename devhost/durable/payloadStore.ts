import { ContainerClient } from '@azure/storage-blob';

/** Table properties hold at most 64 KiB; like the Azure Storage provider, larger payloads go to blobs. */
export const largePayloadBytes = 45 * 1024;

/**
 * Keeps text fields of table rows inline when small and in the `<hub>-largemessages` container
 * when over the limit; the row then names the blob under `<field>Blob`.
 */
export class PayloadStore {
  readonly #container: ContainerClient;

  constructor(container: ContainerClient) {
    this.#container = container;
  }

  async init(): Promise<void> {
    await this.#container.createIfNotExists();
  }

  async pack(row: Record<string, unknown>, field: string, text: string | undefined, blobName: string): Promise<void> {
    if (text === undefined) return;
    if (Buffer.byteLength(text) <= largePayloadBytes) {
      row[field] = text;
      return;
    }
    await this.#container.getBlockBlobClient(blobName).upload(text, Buffer.byteLength(text));
    row[`${field}Blob`] = blobName;
  }

  async unpack(row: Record<string, unknown>, field: string): Promise<string | undefined> {
    const blob = row[`${field}Blob`];
    if (typeof blob === 'string') return (await this.#container.getBlockBlobClient(blob).downloadToBuffer()).toString('utf8');
    const inline = row[field];
    return typeof inline === 'string' ? inline : undefined;
  }

  async deleteUnder(prefix: string): Promise<void> {
    const names: string[] = [];
    for await (const blob of this.#container.listBlobsFlat({ prefix })) names.push(blob.name);
    await Promise.all(names.map((name) => this.#container.deleteBlob(name, { deleteSnapshots: 'include' }).catch(() => undefined)));
  }
}
