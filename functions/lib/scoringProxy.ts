import http from 'node:http';
import https from 'node:https';

/** The answer of one deployment, or why there was none. */
export type AttemptResult =
  { kind: 'answered'; status: number; contentType: string; body: Buffer } | { kind: 'timeout' | 'unreachable'; message: string };

type Answered = Extract<AttemptResult, { kind: 'answered' }>;

/** Whether another deployment should be tried: no answer, or a 5xx. A 4xx is the caller's and passes through. */
export function shouldRetry(result: AttemptResult): boolean {
  return result.kind !== 'answered' || result.status >= 500;
}

// Keep-alive pools (one per deployment origin inside each agent): a request to a deployment reuses a connection
// instead of paying a TCP (and TLS) handshake.
const agents: Record<string, http.Agent> = {
  'http:': new http.Agent({ keepAlive: true }),
  'https:': new https.Agent({ keepAlive: true }),
};

class DeadlinePassed extends Error {}

/** Rejects with the request's error, marked when it went out on a kept-alive connection. */
function post(url: URL, body: Buffer, contentType: string, deadline: number): Promise<Answered> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request(url, {
      method: 'POST',
      agent: agents[url.protocol],
      headers: { 'content-type': contentType, 'content-length': body.length },
    });
    let timedOut = false;
    const timer = setTimeout(
      () => {
        timedOut = true;
        req.destroy(new DeadlinePassed());
      },
      Math.max(0, deadline - performance.now()),
    );
    // Destroyed mid-answer, the response fails with its own error rather than the deadline's.
    const fail = (err: Error) => {
      clearTimeout(timer);
      reject(timedOut ? new DeadlinePassed() : Object.assign(err, { onReusedConnection: req.reusedSocket }));
    };
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', fail);
      res.on('end', () => {
        clearTimeout(timer);
        resolve({
          kind: 'answered',
          status: res.statusCode ?? 502,
          contentType: res.headers['content-type'] ?? 'application/octet-stream',
          body: Buffer.concat(chunks),
        });
      });
    });
    req.on('error', fail);
    req.end(body);
  });
}

const scoreUrls = new Map<string, URL>();

function scoreUrlOf(endpoint: string): URL {
  let url = scoreUrls.get(endpoint);
  if (!url) {
    url = new URL(`${endpoint.replace(/\/+$/, '')}/score`);
    scoreUrls.set(endpoint, url);
  }
  return url;
}

/** Sends the caller's body and content type to a deployment's `/score`, bounded by `timeoutMs` (connect to last byte). */
export async function forwardScore(endpoint: string, body: Buffer, contentType: string, timeoutMs: number): Promise<AttemptResult> {
  const deadline = performance.now() + timeoutMs;
  for (let send = 0; ; send++) {
    try {
      return await post(scoreUrlOf(endpoint), body, contentType, deadline);
    } catch (err) {
      if (err instanceof DeadlinePassed) return { kind: 'timeout', message: `no answer within ${timeoutMs} ms` };
      const failure = err as NodeJS.ErrnoException & { onReusedConnection?: boolean };
      // A reset on a kept-alive connection is most often the deployment closing it while idle just as the request
      // went out; scoring has no side effects, so the request goes once more, on a new connection.
      if (failure.onReusedConnection && failure.code === 'ECONNRESET' && send === 0) continue;
      return { kind: 'unreachable', message: failure.code ?? failure.message };
    }
  }
}
