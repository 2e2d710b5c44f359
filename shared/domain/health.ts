/** A dependency to ask: resolves when it answered (the `DependencyProbe` port has this shape). */
export interface HealthProbe {
  readonly name: string;
  check(signal: AbortSignal): Promise<void>;
}

export interface DependencyHealth {
  status: 'up' | 'down';
  latencyMs: number;
  error?: string;
}

export interface HealthReport {
  status: 'healthy' | 'degraded';
  version: string;
  dependencies: Record<string, DependencyHealth>;
}

async function probe(p: HealthProbe, timeoutMs: number): Promise<DependencyHealth> {
  const started = performance.now();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    await Promise.race([p.check(controller.signal), timeout]);
    return { status: 'up', latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    return { status: 'down', latencyMs: Math.round(performance.now() - started), error: (err as Error).message.split('\n')[0] };
  } finally {
    clearTimeout(timer);
  }
}

/** Asks every dependency at once, each bounded by `timeoutMs`, so one that hangs cannot hang the report. */
export async function checkHealth(probes: HealthProbe[], version: string, timeoutMs: number): Promise<HealthReport> {
  const results = await Promise.all(probes.map(async (p) => [p.name, await probe(p, timeoutMs)] as const));
  const dependencies = Object.fromEntries(results);
  const status = results.every(([, r]) => r.status === 'up') ? 'healthy' : 'degraded';
  return { status, version, dependencies };
}
