import { parseArgs } from 'node:util';
import { loadModelPackage } from './modelPackage';
import { ScoringServer } from './server';

/**
 * `node dist/scoring/main.js --package <uri> [--port 8080]`. Settings: SCORER_PORT, SCORER_MAX_ROWS,
 * SCORER_MAX_BODY_BYTES, MODEL_PACKAGE_URI, MODEL_NAME, MODEL_VERSION and, for Azurite,
 * MODEL_STORAGE_CONNECTION (in Azure the managed identity reads the package).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { package: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' } } });
  const env = process.env;
  const uri = values.package ?? env.MODEL_PACKAGE_URI;
  if (!uri) throw new Error('give the model package with --package <uri> or MODEL_PACKAGE_URI');
  const server = new ScoringServer({
    host: values.host ?? env.SCORER_HOST ?? '0.0.0.0',
    port: Number(values.port ?? env.SCORER_PORT ?? 8080),
    maxRows: Number(env.SCORER_MAX_ROWS ?? 64),
    maxBodyBytes: Number(env.SCORER_MAX_BODY_BYTES ?? 16 * 1024 * 1024),
    model: env.MODEL_NAME ?? 'model',
    version: env.MODEL_VERSION ?? '0',
    load: () => loadModelPackage(uri, env.MODEL_STORAGE_CONNECTION),
  });
  const port = await server.listen();
  console.log(`scorer listening on port ${port}, loading ${uri}`);
  const stop = (): void => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: Error) => {
  console.error(`scorer: ${err.message}`);
  process.exit(1);
});
