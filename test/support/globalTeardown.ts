import fs from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const state = (globalThis as { __canopyTestStack?: { stack: { stop(): Promise<void> }; stateDir: string } }).__canopyTestStack;
  if (!state) return;
  await state.stack.stop();
  fs.rmSync(state.stateDir, { recursive: true, force: true });
}
