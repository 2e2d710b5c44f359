import path from 'node:path';
import { startDevhost } from '../support/devhostProcess';
import { postWebhook, uniqueHub, waitForStatus } from './durableHarness';

test('host.json maxConcurrentActivityFunctions caps how many activities run at once', async () => {
  const host = await startDevhost({
    appDir: path.resolve(__dirname, '..', 'fixtures', 'durableLimits'),
    env: { DURABLE_HUB: uniqueHub() },
  });
  try {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(((await (await postWebhook(host, 'orchestrators/crowd')).json()) as { id: string }).id);
    const peaks: number[] = [];
    for (const id of ids) peaks.push((await waitForStatus(host, id)).output as number);
    expect(Math.max(...peaks)).toBe(2);
  } finally {
    await host.stop();
  }
});
