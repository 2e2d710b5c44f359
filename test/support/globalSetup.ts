import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testPorts } from './testStack';

type StackModule = typeof import('../../devhost/localStack/stack');

/** Starts one Azurite + Cosmos emulator for the whole run (from the compiled devhost, as `npm start` does). */
export default async function globalSetup(): Promise<void> {
  const compiledStack = path.resolve(__dirname, '../../dist/devhost/localStack/stack.js');
  if (!fs.existsSync(compiledStack))
    throw new Error(`${compiledStack} is missing: run \`npm run build:all\` (the app and the devhost) first.`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startLocalStack } = require(compiledStack) as StackModule;
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-test-stack-'));
  const stack = await startLocalStack(stateDir, testPorts).catch((err: Error) => {
    throw new Error(
      `${err.message} The test stack's ports come from CANOPY_TEST_BLOB_PORT, CANOPY_TEST_QUEUE_PORT, CANOPY_TEST_TABLE_PORT and CANOPY_TEST_COSMOS_PORT.`,
    );
  });
  // Global setup and teardown share one context: the teardown finds the stack here.
  Object.assign(globalThis, { __canopyTestStack: { stack, stateDir } });
}
