/** What the scorer's `/health` says: 200 when it serves, 503 with `status: loading|failed` before (scoring/server.ts). */
export async function probeHealth(
  endpoint: string,
  timeoutMs: number,
): Promise<{ state: 'running' | 'creating' | 'failed'; error?: string }> {
  try {
    const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    if (res.ok) return { state: 'running' };
    const body = (await res.json().catch(() => ({}))) as { status?: string; error?: { message?: string } };
    if (body.status === 'failed')
      return { state: 'failed', error: `the scorer could not load its model: ${body.error?.message ?? 'no reason given'}` };
    return { state: 'creating' };
  } catch {
    return { state: 'creating' };
  }
}
