import fs from 'node:fs';
import { testStateFile } from './testStack';

export default async function globalTeardown(): Promise<void> {
  const stack = (globalThis as Record<string, unknown>).__canopyTestStack as { stop(): Promise<void> } | undefined;
  await stack?.stop();
  const { stateDir } = JSON.parse(fs.readFileSync(testStateFile, 'utf8')) as { stateDir: string };
  fs.rmSync(stateDir, { recursive: true, force: true });
  fs.rmSync(testStateFile, { force: true });
}
