import { RpcLogLevel } from './coreTypes';

const order: Record<string, number> = {
  trace: 0,
  debug: 1,
  information: 2,
  warning: 3,
  error: 4,
  critical: 5,
  none: 6,
};

export interface LogRecord {
  level: RpcLogLevel;
  category: string;
  message: string;
  functionName?: string;
  invocationId?: string;
}

export type LogSink = (line: string, record: LogRecord) => void;

const consoleSink: LogSink = (line, record) => {
  if (order[record.level] >= order.error) process.stderr.write(line + '\n');
  else process.stdout.write(line + '\n');
};

/**
 * Host log output filtered by host.json `logging.logLevel`, using the host's category names:
 * `Function.<name>.User` for what a function logs, `Host.*` for the host itself.
 */
/** Query parameters that carry a credential: a function or host key, a SAS signature. */
const secretParameters = /([?&](?:code|sig)=)[^&\s"'<>]+/gi;

export class HostLogger {
  readonly #levels: Map<string, number>;
  readonly #sink: LogSink;
  readonly #secrets = new Set<string>();

  constructor(logLevels: Record<string, string> = {}, sink: LogSink = consoleSink) {
    this.#levels = new Map(Object.entries(logLevels).map(([k, v]) => [k.toLowerCase(), order[v.toLowerCase()] ?? 2]));
    this.#sink = sink;
  }

  isEnabled(category: string, level: RpcLogLevel): boolean {
    const parts = category.toLowerCase().split('.');
    for (let n = parts.length; n > 0; n--) {
      const configured = this.#levels.get(parts.slice(0, n).join('.'));
      if (configured !== undefined) return order[level] >= configured;
    }
    return order[level] >= (this.#levels.get('default') ?? order.information);
  }

  /** Values no log line may show (the host's keys): each is written as `[redacted]`. */
  hideSecrets(...values: string[]): void {
    for (const value of values) if (value.length >= 8) this.#secrets.add(value);
  }

  #redact(text: string): string {
    let safe = text.replace(secretParameters, '$1[redacted]');
    for (const secret of this.#secrets) safe = safe.split(secret).join('[redacted]');
    return safe;
  }

  log(record: LogRecord): void {
    if (!this.isEnabled(record.category, record.level)) return;
    const where = record.functionName ? ` [${record.functionName}]` : '';
    const invocation = record.invocationId ? ` [Id=${record.invocationId}]` : '';
    const message = this.#redact(record.message);
    const line = `[${new Date().toISOString()}] [${record.level}]${where}${invocation} ${message}`;
    this.#sink(line, { ...record, message });
  }

  host(level: RpcLogLevel, message: string): void {
    this.log({ level, category: 'Host.General', message });
  }
}
