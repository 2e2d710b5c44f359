import { parseArgs } from 'node:util';
import { retryWhileTransient } from './loadRetry';
import { loadModelPackage } from './modelPackage';
import { ScoringServer } from './server';

function numberSetting(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number (got ${JSON.stringify(text)})`);
  return value;
}

/**
 * `node dist/scoring/main.js --package <uri> [--port 8080] [--host 0.0.0.0]`. Settings: MODEL_PACKAGE_URI,
 * MODEL_NAME, MODEL_VERSION, SCORER_HOST, SCORER_PORT, SCORER_MAX_ROWS, SCORER_MAX_BODY_BYTES, SCORER_THREADS,
 * SCORER_BATCHING (auto|on|off), SCORER_BATCH_MAX_ROWS, SCORER_BATCH_WINDOW_MS, SCORER_SHUTDOWN_TIMEOUT_MS,
 * SCORER_LOAD_RETRY_SECONDS (how long transient storage faults are retried at start) and, for
 * Azurite, MODEL_STORAGE_CONNECTION (in Azure the managed identity reads the package). This entry point is
 * the scorer's only reader of the environment: the container carries no shared/ code.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { package: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' } } });
  const env = process.env;
  const uri = values.package ?? env.MODEL_PACKAGE_URI;
  if (!uri) throw new Error('give the model package with --package <uri> or MODEL_PACKAGE_URI');
  const batching = env.SCORER_BATCHING ?? 'auto';
  if (batching !== 'auto' && batching !== 'on' && batching !== 'off')
    throw new Error(`SCORER_BATCHING must be auto, on or off (got ${JSON.stringify(batching)})`);
  const maxRows = numberSetting(env, 'SCORER_MAX_ROWS', 64);
  const server = new ScoringServer({
    host: values.host ?? env.SCORER_HOST ?? '0.0.0.0',
    port: values.port === undefined ? numberSetting(env, 'SCORER_PORT', 8080) : Number(values.port),
    maxRows,
    maxBodyBytes: numberSetting(env, 'SCORER_MAX_BODY_BYTES', 16 * 1024 * 1024),
    maxBufferedBodyBytes: numberSetting(env, 'SCORER_MAX_BUFFERED_BODY_BYTES', 64 * 1024 * 1024),
    threads: numberSetting(env, 'SCORER_THREADS', 1),
    batching: {
      mode: batching,
      maxRows: numberSetting(env, 'SCORER_BATCH_MAX_ROWS', maxRows),
      windowMs: numberSetting(env, 'SCORER_BATCH_WINDOW_MS', 0),
    },
    model: env.MODEL_NAME ?? 'model',
    version: env.MODEL_VERSION ?? '0',
    // The log is what ACI and AKS show of a deployment that never gets ready.
    load: () =>
      retryWhileTransient(() => loadModelPackage(uri, env.MODEL_STORAGE_CONNECTION), {
        deadlineMs: numberSetting(env, 'SCORER_LOAD_RETRY_SECONDS', 300) * 1000,
        onRetry: (err, delayMs) => console.error(`scorer: ${err.message}; trying again in ${delayMs} ms`),
      }).then(
        (pkg) => {
          console.log(`scorer loaded the model package (${pkg.manifest.labels.length} labels)`);
          return pkg;
        },
        (err: Error) => {
          console.error(`scorer: loading the model package failed: ${err.message}`);
          throw err;
        },
      ),
  });
  const shutdownTimeoutMs = numberSetting(env, 'SCORER_SHUTDOWN_TIMEOUT_MS', 25_000);
  const port = await server.listen();
  // A query string could carry a SAS token: it is never logged.
  console.log(`scorer listening on port ${port}, loading ${uri.split('?')[0]}`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`scorer stopping (${signal}): finishing requests in flight`);
    void server.shutdown(shutdownTimeoutMs).then((clean) => {
      console.log(clean ? 'scorer stopped' : `scorer stopped after ${shutdownTimeoutMs} ms with requests cut`);
      process.exit(clean ? 0 : 1);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: Error) => {
  console.error(`scorer: ${err.message}`);
  process.exit(1);
});
