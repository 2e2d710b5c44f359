import http from 'node:http';
import { AddressInfo } from 'node:net';

export type FakeBehaviour = 'answer' | 'fail' | 'hang' | 'reject-input';

/** A stand-in model server: the scoring function is a proxy, so what it proxies to only needs to be HTTP. */
export interface FakeDeployment {
  readonly name: string;
  readonly endpoint: string;
  /** Score requests received, with the content type and body size each came with. */
  readonly received: { contentType: string; bytes: number; body: Buffer }[];
  behaviour: FakeBehaviour;
  close(): Promise<void>;
}

export async function startFakeDeployment(name: string, behaviour: FakeBehaviour = 'answer'): Promise<FakeDeployment> {
  const received: FakeDeployment['received'] = [];
  const hanging = new Set<http.ServerResponse>();
  const fake = { name, received, behaviour } as FakeDeployment;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      received.push({ contentType: req.headers['content-type'] ?? '', bytes: body.length, body });
      const send = (status: number, json: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(json));
      if (fake.behaviour === 'hang') return void hanging.add(res);
      if (fake.behaviour === 'fail') return send(500, { error: { code: 'SCORE.FAILED', message: `${name} broke` } });
      if (fake.behaviour === 'reject-input') return send(400, { error: { code: 'SCORE.BAD_INPUT', message: `${name} refuses this` } });
      send(200, { answeredBy: name, labels: ['x'] });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  Object.assign(fake, {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
  return fake;
}
