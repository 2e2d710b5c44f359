/** The answer of one deployment, or why there was none. */
export type AttemptResult =
  { kind: 'answered'; status: number; contentType: string; body: Buffer } | { kind: 'timeout' | 'unreachable'; message: string };

/** Whether another deployment should be tried: no answer, or a 5xx. A 4xx is the caller's and passes through. */
export function shouldRetry(result: AttemptResult): boolean {
  return result.kind !== 'answered' || result.status >= 500;
}

/** Sends the caller's body and content type to a deployment's `/score`, bounded by `timeoutMs` (connect to last byte). */
export async function forwardScore(endpoint: string, body: Buffer, contentType: string, timeoutMs: number): Promise<AttemptResult> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetch(`${endpoint.replace(/\/+$/, '')}/score`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
      signal,
    });
    const answer = Buffer.from(await res.arrayBuffer());
    return {
      kind: 'answered',
      status: res.status,
      contentType: res.headers.get('content-type') ?? 'application/octet-stream',
      body: answer,
    };
  } catch (err) {
    if (signal.aborted) return { kind: 'timeout', message: `no answer within ${timeoutMs} ms` };
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return { kind: 'unreachable', message: cause?.code ?? cause?.message ?? (err as Error).message };
  }
}
