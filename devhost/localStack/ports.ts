import net from 'node:net';

export class PortInUseError extends Error {
  readonly code = 'DEVHOST.PORT_IN_USE';
}

/** Fails with a message naming the port and the setting that moves it when something already listens there. */
export async function assertPortFree(host: string, port: number, setting: string, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(
          new PortInUseError(
            `Port ${port} (${what}) is already in use on ${host}. Stop what is using it, or set ${setting} to another port.`,
          ),
        );
      } else reject(err);
    });
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

export async function waitForPort(host: string, port: number, timeoutMs: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`the process serving port ${port} exited during start`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, host);
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing answered on ${host}:${port} within ${timeoutMs} ms`);
}
