import { ContainerClient, RestError } from '@azure/storage-blob';
import { QueueClient } from '@azure/storage-queue';
import { RegisteredFunction } from '../coreApi';
import { RpcTypedData } from '../coreTypes';
import { Invoker } from '../invoker';
import { HostLogger } from '../logger';
import { connectionString, hostsContainer, storageClients } from '../storage';
import { BlobPathPattern, parseBlobPath } from './blobPath';
import { blobsToScan } from './blobScan';

export const poisonQueueName = 'webjobs-blobtrigger-poison';
export const maxDequeueCount = 5;

/** The message the host queues for a blob to process, and on the poison queue after 5 failures. */
export interface BlobTriggerMessage {
  Type: 'BlobTrigger';
  FunctionId: string;
  BlobType: 'BlockBlob' | 'PageBlob' | 'AppendBlob';
  ContainerName: string;
  BlobName: string;
  ETag: string;
}

interface WatchedFunction {
  fn: RegisteredFunction;
  functionId: string;
  triggerName: string;
  pattern: BlobPathPattern;
  container: ContainerClient;
  dataType: string;
}

export interface BlobTriggerOptions {
  hostId: string;
  appName: string;
  pollIntervalMs: number;
  env: NodeJS.ProcessEnv;
}

function isStatus(err: unknown, ...codes: number[]): boolean {
  return err instanceof RestError && codes.includes(err.statusCode ?? 0);
}

/** Listings give ETags bare, property reads quote them; receipts and messages use the bare form. */
const bareEtag = (etag: string | undefined): string => (etag ?? '').replace(/^"|"$/g, '');

const encode = (m: BlobTriggerMessage): string => Buffer.from(JSON.stringify(m)).toString('base64');
const decode = (text: string): BlobTriggerMessage => JSON.parse(Buffer.from(text, 'base64').toString('utf8')) as BlobTriggerMessage;

/**
 * Blob triggers as the Functions host runs them: a scan finds blob versions without a receipt,
 * queues them on the host's blob-trigger queue and writes a receipt; a queue worker invokes the
 * function, marks the receipt complete, and after five failed dequeues moves the message to
 * `webjobs-blobtrigger-poison`. Receipts live in `azure-webjobs-hosts`, so restarts fire nothing twice.
 */
export class BlobTriggerListener {
  readonly #watched: WatchedFunction[] = [];
  readonly #known = new Set<string>();
  readonly #opts: BlobTriggerOptions;
  readonly #invoker: Invoker;
  readonly #logger: HostLogger;
  readonly #hosts: ContainerClient;
  readonly #queue: QueueClient;
  readonly #poison: QueueClient;
  #stopped = false;
  #loops: Promise<void>[] = [];
  readonly #wakers = new Map<string, () => void>();

  constructor(functions: RegisteredFunction[], invoker: Invoker, logger: HostLogger, opts: BlobTriggerOptions) {
    this.#opts = opts;
    this.#invoker = invoker;
    this.#logger = logger;
    const hostStorage = storageClients(connectionString('AzureWebJobsStorage', opts.env));
    this.#hosts = hostStorage.blobs.getContainerClient(hostsContainer);
    this.#queue = hostStorage.queues.getQueueClient(`azure-webjobs-blobtrigger-${opts.hostId}`);
    this.#poison = hostStorage.queues.getQueueClient(poisonQueueName);
    for (const fn of functions) {
      const entry = Object.entries(fn.metadata.bindings).find(([, b]) => b.type?.toLowerCase() === 'blobtrigger');
      if (!entry) continue;
      const [triggerName, binding] = entry;
      const pattern = parseBlobPath(String(binding.path ?? ''));
      const clients = storageClients(connectionString(binding.connection, opts.env));
      this.#watched.push({
        fn,
        functionId: `${opts.appName}.Functions.${fn.metadata.name}`,
        triggerName,
        pattern,
        container: clients.blobs.getContainerClient(pattern.container),
        dataType: String(binding.dataType ?? 'binary'),
      });
    }
  }

  get functionCount(): number {
    return this.#watched.length;
  }

  async start(): Promise<void> {
    if (this.#watched.length === 0) return;
    await this.#hosts.createIfNotExists();
    await this.#queue.createIfNotExists();
    await this.#poison.createIfNotExists();
    this.#loops = [this.#loop(() => this.#scan(), 'scan'), this.#loop(() => this.#drain(), 'queue')];
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wakers.forEach((wake) => wake());
    await Promise.allSettled(this.#loops);
  }

  async #loop(step: () => Promise<boolean>, what: string): Promise<void> {
    while (!this.#stopped) {
      let busy = false;
      try {
        busy = await step();
      } catch (err) {
        this.#logger.host('warning', `Blob trigger ${what} failed, retrying: ${(err as Error).message}`);
      }
      if (!busy && !this.#stopped) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.#opts.pollIntervalMs);
          this.#wakers.set(what, () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    }
  }

  #receiptName(w: WatchedFunction, blobName: string, etag: string): string {
    return `blobreceipts/${this.#opts.hostId}/${w.functionId}/${etag}/${w.pattern.container}/${blobName}`;
  }

  async #scan(): Promise<boolean> {
    let queued = 0;
    for (const w of this.#watched) {
      if (!(await w.container.exists())) continue;
      for await (const blob of blobsToScan(w.container, w.pattern)) {
        if (this.#stopped) return false;
        if (!w.pattern.match(blob.name)) continue;
        const etag = bareEtag(blob.properties.etag);
        const key = `${w.functionId}|${blob.name}|${etag}`;
        if (this.#known.has(key)) continue;
        const receipt = this.#hosts.getBlockBlobClient(this.#receiptName(w, blob.name, etag));
        if (await receipt.exists()) {
          this.#known.add(key);
          continue;
        }
        const message: BlobTriggerMessage = {
          Type: 'BlobTrigger',
          FunctionId: w.functionId,
          BlobType: blob.properties.blobType ?? 'BlockBlob',
          ContainerName: w.pattern.container,
          BlobName: blob.name,
          ETag: etag,
        };
        await this.#queue.sendMessage(encode(message));
        await receipt.upload('', 0, { metadata: { Incomplete: 'true' } });
        this.#known.add(key);
        queued++;
      }
    }
    if (queued > 0) this.#wakers.get('queue')?.();
    return false;
  }

  async #drain(): Promise<boolean> {
    const { receivedMessageItems } = await this.#queue.receiveMessages({ numberOfMessages: 16, visibilityTimeout: 300 });
    for (const item of receivedMessageItems) {
      if (this.#stopped) return false;
      await this.#process(item.messageText, item.messageId, item.popReceipt, item.dequeueCount);
    }
    return receivedMessageItems.length > 0;
  }

  async #process(text: string, messageId: string, popReceipt: string, dequeueCount: number): Promise<void> {
    let message: BlobTriggerMessage;
    try {
      message = decode(text);
    } catch {
      this.#logger.host('warning', `Dropping unreadable blob trigger message ${messageId}.`);
      await this.#queue.deleteMessage(messageId, popReceipt);
      return;
    }
    const w = this.#watched.find((x) => x.functionId === message.FunctionId);
    const done = async (): Promise<void> => {
      await this.#queue.deleteMessage(messageId, popReceipt);
    };
    if (!w) {
      await done();
      return;
    }
    const receipt = this.#hosts.getBlockBlobClient(this.#receiptName(w, message.BlobName, message.ETag));
    const receiptProps = await receipt.getProperties().catch((err: unknown) => (isStatus(err, 404) ? undefined : Promise.reject(err)));
    const incomplete = Object.entries(receiptProps?.metadata ?? {}).some(([k, v]) => k.toLowerCase() === 'incomplete' && v === 'true');
    if (receiptProps && !incomplete) {
      await done();
      return;
    }
    const blob = w.container.getBlobClient(message.BlobName);
    let content: Buffer;
    let properties;
    try {
      properties = await blob.getProperties();
      if (bareEtag(properties.etag) !== message.ETag) {
        // A newer version replaced this one; it has its own receipt and message.
        await this.#completeReceipt(receipt);
        await done();
        return;
      }
      content = await blob.downloadToBuffer(0, undefined, { conditions: { ifMatch: properties.etag } });
    } catch (err) {
      if (isStatus(err, 404, 412)) {
        await this.#completeReceipt(receipt);
        await done();
        return;
      }
      throw err;
    }

    const data: RpcTypedData = w.dataType === 'string' ? { string: content.toString('utf8') } : { bytes: content };
    const params = w.pattern.match(message.BlobName) ?? {};
    const outcome = await this.#invoker.invoke(w.fn, {
      inputData: [{ name: w.triggerName, data }],
      triggerMetadata: {
        BlobTrigger: { string: `${message.ContainerName}/${message.BlobName}` },
        Uri: { string: blob.url },
        Properties: {
          json: JSON.stringify({
            ETag: properties.etag,
            Length: properties.contentLength,
            ContentType: properties.contentType,
            LastModified: properties.lastModified,
            BlobType: properties.blobType,
            ContentMD5: properties.contentMD5 ? Buffer.from(properties.contentMD5).toString('base64') : undefined,
          }),
        },
        Metadata: { json: JSON.stringify(properties.metadata ?? {}) },
        ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, { string: v }])),
      },
      retryContext: { retryCount: dequeueCount - 1, maxRetryCount: maxDequeueCount - 1 },
    });
    if (outcome.ok) {
      await this.#completeReceipt(receipt);
      await done();
      return;
    }
    if (dequeueCount >= maxDequeueCount) {
      this.#logger.host(
        'error',
        `Blob '${message.ContainerName}/${message.BlobName}' failed ${dequeueCount} times in ${w.fn.metadata.name}; moving it to ${poisonQueueName}.`,
      );
      await this.#poison.sendMessage(encode(message));
      await this.#completeReceipt(receipt);
      await done();
      return;
    }
    await this.#queue.updateMessage(messageId, popReceipt, undefined, 0);
  }

  async #completeReceipt(receipt: ReturnType<ContainerClient['getBlockBlobClient']>): Promise<void> {
    await receipt.upload('', 0, { metadata: {} });
  }
}
