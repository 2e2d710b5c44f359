import { BlobStore } from '../../../shared/ports/blobStore';
import { BlobPrefix } from '../../../shared/domain/runLocations';
import { failure, Tagged } from '../../durable/contract';

const timeout = () => AbortSignal.timeout(30_000);

async function score(endpoint: string, body: unknown): Promise<Tagged<{ label: string }>> {
  const res = await fetch(`${endpoint}/score`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: timeout(),
  });
  if (!res.ok) return failure('DEPLOY.SMOKE_TEST_FAILED', `POST ${endpoint}/score answered ${res.status}: ${await res.text()}`);
  const label = ((await res.json()) as { predictions?: { label: string }[] }).predictions?.[0]?.label;
  return label ? { ok: true, label } : failure('DEPLOY.SMOKE_TEST_FAILED', `POST ${endpoint}/score returned no label`);
}

/** An image model is asked about one test image of the run's snapshot. */
export async function smokeTestImage(
  endpoint: string,
  blobs: BlobStore,
  snapshot: BlobPrefix,
): Promise<Tagged<{ label: string; expected?: string }>> {
  const sample = (await blobs.list(snapshot.container, `${snapshot.prefix}test/`, { pageSize: 1 })).items[0];
  if (!sample) return failure('DEPLOY.NO_SAMPLE', 'no test image to smoke-test the deployment with');
  const image = await blobs.get({ container: snapshot.container, name: sample.name });
  const expected = sample.name.slice(`${snapshot.prefix}test/`.length).split('/')[0];
  const scored = await score(endpoint, { images: [image?.toString('base64')] });
  return scored.ok ? { ...scored, expected } : scored;
}

/** A tabular model is asked about a row of neutral values built from the inputs its /metadata lists. */
export async function smokeTestTabular(endpoint: string): Promise<Tagged<{ label: string }>> {
  const meta = await fetch(`${endpoint}/metadata`, { signal: timeout() });
  if (!meta.ok) return failure('DEPLOY.SMOKE_TEST_FAILED', `GET ${endpoint}/metadata answered ${meta.status}`);
  const { inputs } = (await meta.json()) as { inputs: { name: string; dtype: string }[] };
  return score(endpoint, { rows: [Object.fromEntries(inputs.map((i) => [i.name, i.dtype === 'string' ? '' : 0]))] });
}
