import { ContainerClient, RestError } from '@azure/storage-blob';
import { RegisteredFunction } from '../coreApi';
import { Invoker } from '../invoker';
import { HostLogger } from '../logger';
import { connectionString, hostsContainer, storageClients } from '../storage';
import { parseSchedule, Schedule } from '../../shared/domain/schedule';

/** The schedule status the host persists per timer function when `useMonitor` is on. */
export interface ScheduleStatus {
  Last: string;
  Next: string;
  LastUpdated: string;
}

interface TimerFunction {
  fn: RegisteredFunction;
  triggerName: string;
  schedule: Schedule;
  runOnStartup: boolean;
  useMonitor: boolean;
  statusBlob: string;
}

export interface TimerOptions {
  hostId: string;
  appName: string;
  env: NodeJS.ProcessEnv;
}

const maxSleepMs = 2 ** 31 - 1;

/**
 * Timer triggers: each function runs in its own sequential loop, so a run that outlasts its
 * interval delays the next one instead of overlapping it; occurrences missed meanwhile are skipped.
 */
export class TimerListener {
  readonly #timers: TimerFunction[] = [];
  readonly #invoker: Invoker;
  readonly #logger: HostLogger;
  readonly #hosts: ContainerClient;
  #stopped = false;
  readonly #sleepers = new Set<() => void>();
  #loops: Promise<void>[] = [];

  constructor(functions: RegisteredFunction[], invoker: Invoker, logger: HostLogger, opts: TimerOptions) {
    this.#invoker = invoker;
    this.#logger = logger;
    this.#hosts = storageClients(connectionString('AzureWebJobsStorage', opts.env)).blobs.getContainerClient(hostsContainer);
    for (const fn of functions) {
      const entry = Object.entries(fn.metadata.bindings).find(([, b]) => b.type?.toLowerCase() === 'timertrigger');
      if (!entry) continue;
      const [triggerName, binding] = entry;
      const scheduleText = String(binding.schedule ?? '');
      const resolved = /^%(.+)%$/.exec(scheduleText);
      this.#timers.push({
        fn,
        triggerName,
        schedule: parseSchedule(resolved ? String(opts.env[resolved[1]] ?? '') : scheduleText, opts.env.WEBSITE_TIME_ZONE),
        runOnStartup: binding.runOnStartup === true,
        useMonitor: binding.useMonitor !== false,
        statusBlob: `timers/${opts.hostId}/${opts.appName}.Functions.${fn.metadata.name}/status`,
      });
    }
  }

  get functionCount(): number {
    return this.#timers.length;
  }

  async start(): Promise<void> {
    if (this.#timers.length === 0) return;
    await this.#hosts.createIfNotExists();
    this.#loops = this.#timers.map((t) => this.#run(t));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#sleepers.forEach((wake) => wake());
    await Promise.allSettled(this.#loops);
  }

  async readStatus(t: TimerFunction): Promise<ScheduleStatus | undefined> {
    try {
      const buffer = await this.#hosts.getBlobClient(t.statusBlob).downloadToBuffer();
      return JSON.parse(buffer.toString('utf8')) as ScheduleStatus;
    } catch (err) {
      if (err instanceof RestError && err.statusCode === 404) return undefined;
      throw err;
    }
  }

  async #run(t: TimerFunction): Promise<void> {
    let status = t.useMonitor ? await this.#safe(() => this.readStatus(t), undefined) : undefined;
    const now = new Date();
    const pastDue = status !== undefined && new Date(status.Next) < now;
    if (t.runOnStartup || pastDue) {
      status = await this.#fire(t, status, pastDue, pastDue && status ? new Date(status.Next) : now);
    }
    while (!this.#stopped) {
      const due = t.schedule.next(new Date());
      await this.#sleepUntil(due);
      if (this.#stopped) return;
      status = await this.#fire(t, status, false, due);
    }
  }

  async #fire(
    t: TimerFunction,
    status: ScheduleStatus | undefined,
    isPastDue: boolean,
    occurrence: Date,
  ): Promise<ScheduleStatus | undefined> {
    const timerInfo = {
      Schedule: { AdjustForDST: true },
      ScheduleStatus: status ?? null,
      IsPastDue: isPastDue,
    };
    await this.#invoker.invoke(t.fn, { inputData: [{ name: t.triggerName, data: { json: JSON.stringify(timerInfo) } }] });
    if (!t.useMonitor) return undefined;
    const next: ScheduleStatus = {
      Last: occurrence.toISOString(),
      Next: t.schedule.next(new Date()).toISOString(),
      LastUpdated: new Date().toISOString(),
    };
    await this.#safe(async () => {
      const body = JSON.stringify(next);
      await this.#hosts.getBlockBlobClient(t.statusBlob).upload(body, Buffer.byteLength(body));
    }, undefined);
    return next;
  }

  async #safe<T>(work: () => Promise<T>, fallback: T): Promise<T> {
    try {
      return await work();
    } catch (err) {
      this.#logger.host('warning', `Timer schedule status unavailable: ${(err as Error).message}`);
      return fallback;
    }
  }

  async #sleepUntil(due: Date): Promise<void> {
    while (!this.#stopped) {
      const remaining = due.getTime() - Date.now();
      if (remaining <= 0) return;
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.#sleepers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(remaining, maxSleepMs));
        this.#sleepers.add(wake);
      });
    }
  }
}
