import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../support/canopyUnderTest';

const scorerMain = path.join(repoRoot, 'dist', 'scoring', 'main.js');

/** `dist/scoring/main.js` as deployments run it, on a free loopback port (build first). */
export interface ScorerProcess {
  readonly baseUrl: string;
  readonly child: ChildProcess;
  output(): string;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Polls /health until it answers 200. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export async function startScorer(packageUri: string, env: Record<string, string> = {}): Promise<ScorerProcess> {
  const child = spawn(process.execPath, [scorerMain, '--package', packageUri, '--host', '127.0.0.1', '--port', '0'], {
    env: { PATH: process.env.PATH ?? '', MODEL_NAME: 'fashion', MODEL_VERSION: '7', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const waitForOutput = async (pattern: RegExp, timeoutMs = 30_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(output)) {
      if (child.exitCode !== null) throw new Error(`the scorer exited with ${child.exitCode}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`no ${pattern} from the scorer within ${timeoutMs} ms:\n${output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await waitForOutput(/listening on port \d+/);
  const port = Number(/listening on port (\d+)/.exec(output)?.[1]);
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl,
    child,
    output: () => output,
    waitForOutput,
    async waitReady(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const status = await fetch(`${baseUrl}/health`).then(
          (r) => r.status,
          () => 0,
        );
        if (status === 200) return;
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`the scorer did not become ready (last ${status}):\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
