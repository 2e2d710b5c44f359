import { execFileSync } from 'node:child_process';
import path from 'node:path';

// The layer rules of eslint.config.mjs, run on code that imports across layers, placed in each layer's folder. The
// linting runs in a child process (test/fixtures/layers/lintImports.js: ESLint's config loading needs real ESM).
interface LintCase {
  filePath: string;
  sources: string[];
}

const imports = (sources: string[]) => sources.map((source, i) => `import * as m${i} from '${source}';\nexport { m${i} };\n`).join('');

const cases: LintCase[] = [];
/** Registers a file importing `sources`; the returned function gives its violations once everything was linted. */
function lint(filePath: string, ...sources: string[]): () => string[] {
  const index = cases.push({ filePath, sources }) - 1;
  return () => results[index];
}
let results: string[][] = [];

const domain = 'shared/domain/__fixture__.ts';
const ports = 'shared/ports/__fixture__.ts';
const adapter = 'shared/adapters/azure/__fixture__.ts';
const usecase = 'shared/usecases/__fixture__.ts';
const fn = 'functions/__fixture__.ts';
const orchestrators = ['orchestrations/trainingPipeline/__fixture__.ts', 'orchestrations/durable/__fixture__.ts'];
const activities = ['orchestrations/trainingPipeline/pipeline.activities.ts', 'orchestrations/provisionCluster/activities/__fixture__.ts'];

const domainOk = lint(domain, './pipelineSpec', '../errors', 'ajv', 'cron-parser', 'node:crypto');
const domainWrong = [
  '../ports/modelRegistry',
  '../config',
  '../adapters/azure/armErrors',
  '../usecases/startRun',
  'node:fs',
  'fs',
  '@azure/cosmos',
].map((source) => lint(domain, source));
const portsOk = lint(ports, './blobStore', '../domain/selection', '../errors');
const portsWrong = ['../adapters/azure/azureBlobStore', '../config', '../composition', '../usecases/startRun', '@azure/storage-blob'].map(
  (source) => lint(ports, source),
);
const adapterOk = lint(
  adapter,
  './armErrors',
  '../../ports/blobStore',
  '../../domain/naming',
  '../../config',
  '../../errors',
  '@azure/cosmos',
);
const adapterWrong = [
  '../../../functions/lib/http',
  '../../../orchestrations/registry',
  '../../usecases/startRun',
  '../../composition',
].map((source) => lint(adapter, source));
const usecaseOk = lint(usecase, '../ports/runStore', '../domain/naming', '../errors', './startRun');
const usecaseWrong = [
  '../adapters/azure/cosmosRunStore',
  '../composition',
  '../../functions/lib/http',
  '../../orchestrations/registry',
].map((source) => lint(usecase, source));
const functionOk = lint(fn, '../shared/composition', '../shared/usecases/startRun', '../shared/errors', '@azure/functions');
const functionWrong = lint(fn, '../shared/adapters/azure/azureBlobStore');
const orchestratorOk = orchestrators.map((file) => lint(file, '../../shared/errors', 'durable-functions'));
const orchestratorAdapter = orchestrators.map((file) => lint(file, '../../shared/adapters/azure/livyClient'));
const orchestratorComposition = orchestrators.map((file) => lint(file, '../../shared/composition'));
const activityOk = activities.map((file) => lint(file, '../../shared/adapters/azure/livyClient', '../../shared/composition'));
const errorsFromEveryLayer = [
  lint('shared/domain/__fixture__.ts', '../errors'),
  lint('shared/ports/__fixture__.ts', '../errors'),
  lint('shared/adapters/local/__fixture__.ts', '../../errors'),
  lint('shared/usecases/__fixture__.ts', '../errors'),
  lint('functions/__fixture__.ts', '../shared/errors'),
  lint('orchestrations/trainingPipeline/__fixture__.ts', '../../shared/errors'),
];
const errorsImporting = lint('shared/errors.ts', './domain/naming');

beforeAll(() => {
  const script = path.resolve(__dirname, '..', 'fixtures', 'layers', 'lintImports.js');
  const input = JSON.stringify(cases.map(({ filePath, sources }) => ({ filePath, code: imports(sources) })));
  results = JSON.parse(execFileSync(process.execPath, [script], { input, encoding: 'utf8' })) as string[][];
}, 60_000);

describe('layer rules', () => {
  it('keep shared/domain pure: itself, errors.ts and the listed libraries only', () => {
    expect(domainOk()).toEqual([]);
    for (const wrong of domainWrong) expect(wrong()).toEqual([expect.stringContaining('shared/domain is pure')]);
  });

  it('let shared/ports import the domain, other ports and errors.ts only', () => {
    expect(portsOk()).toEqual([]);
    for (const wrong of portsWrong) expect(wrong()).toEqual([expect.stringContaining('shared/ports are interfaces')]);
  });

  it('keep adapters off functions, orchestrations, use cases and the composition root', () => {
    expect(adapterOk()).toEqual([]);
    for (const wrong of adapterWrong) expect(wrong()).toEqual([expect.stringContaining('Adapters implement ports')]);
  });

  it('keep use cases on ports: no adapters, composition, functions or orchestrations', () => {
    expect(usecaseOk()).toEqual([]);
    for (const wrong of usecaseWrong) expect(wrong()).toEqual([expect.stringContaining('Use cases are built from ports')]);
  });

  it('send functions through the composition root, never to an adapter', () => {
    expect(functionOk()).toEqual([]);
    expect(functionWrong()).toEqual([expect.stringContaining('Functions reach adapters')]);
  });

  it('keep orchestrators off adapters and composition, in both activity layouts, while activity files may use them', () => {
    for (const ok of orchestratorOk) expect(ok()).toEqual([]);
    for (const wrong of [...orchestratorAdapter, ...orchestratorComposition])
      expect(wrong()).toEqual([expect.stringContaining('Orchestrators may not use adapters')]);
    for (const ok of activityOk) expect(ok()).toEqual([]);
  });

  it('let every layer import errors.ts, which imports nothing itself', () => {
    for (const ok of errorsFromEveryLayer) expect(ok()).toEqual([]);
    expect(errorsImporting()).toEqual([expect.stringContaining('imports nothing')]);
  });
});
