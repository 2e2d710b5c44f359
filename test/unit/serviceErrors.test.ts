import { AddressInfo } from 'node:net';
import https from 'node:https';
import { ErrorResponse } from '@azure/cosmos';
import { RestError } from '@azure/storage-blob';
import { cosmosCall, cosmosError } from '../../shared/adapters/azure/cosmosErrors';
import { LivyClient, LivyError } from '../../shared/adapters/azure/livyClient';
import { storageError } from '../../shared/adapters/azure/storageErrors';
import { CanopyError } from '../../shared/errors';

const summary = (err: CanopyError) => ({ code: err.code, transient: err.transient });

describe('Livy errors', () => {
  it('map the status onto a code: client errors permanent, 429, 408 and 5xx transient', () => {
    const cases: [number, string, boolean][] = [
      [400, 'LIVY.BAD_REQUEST', false],
      [401, 'LIVY.FORBIDDEN', false],
      [403, 'LIVY.FORBIDDEN', false],
      [404, 'LIVY.NOT_FOUND', false],
      [409, 'LIVY.CONFLICT', false],
      [429, 'LIVY.THROTTLED', true],
      [408, 'LIVY.UNAVAILABLE', true],
      [500, 'LIVY.UNAVAILABLE', true],
      [502, 'LIVY.UNAVAILABLE', true],
    ];
    for (const [status, code, transient] of cases) {
      const err = new LivyError(status, `answered ${status}`);
      expect(err).toBeInstanceOf(CanopyError);
      expect([status, err.code, err.transient, err.status]).toEqual([status, code, transient, status]);
    }
    expect(new LivyError(429, 'busy', 2000).details).toEqual({ status: 429, retryAfterMs: 2000 });
  });

  it('a gateway that does not answer at all is LIVY.UNAVAILABLE, transient', async () => {
    // A port that was just free: nothing listens on it, so the connection is refused.
    const server = https.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    const livy = new LivyClient({ baseUrl: `https://127.0.0.1:${port}/livy`, username: 'u', password: async () => 'p' });
    await expect(livy.get(1)).rejects.toMatchObject({ code: 'LIVY.UNAVAILABLE', transient: true, details: { errno: 'ECONNREFUSED' } });
  });
});

describe('Cosmos errors', () => {
  const cosmos = (code: number, extra: Partial<ErrorResponse> = {}) =>
    Object.assign(new ErrorResponse(`status ${code}`), { code, ...extra });

  it('412 is COSMOS.PRECONDITION_FAILED and 409 COSMOS.CONFLICT, permanent: the caller re-reads and decides', () => {
    expect(summary(cosmosError(cosmos(412)))).toEqual({ code: 'COSMOS.PRECONDITION_FAILED', transient: false });
    expect(summary(cosmosError(cosmos(409)))).toEqual({ code: 'COSMOS.CONFLICT', transient: false });
    expect(summary(cosmosError(cosmos(403)))).toEqual({ code: 'COSMOS.FORBIDDEN', transient: false });
  });

  it('429 is COSMOS.THROTTLED with the delay Cosmos asked for; 408 and 503 are transient', () => {
    const throttled = cosmosError(cosmos(429, { retryAfterInMs: 120, substatus: 3200 }));
    expect([throttled.code, throttled.transient, throttled.details]).toEqual([
      'COSMOS.THROTTLED',
      true,
      { status: 429, substatus: 3200, retryAfterMs: 120 },
    ]);
    expect(summary(cosmosError(cosmos(408)))).toEqual({ code: 'COSMOS.UNAVAILABLE', transient: true });
    expect(summary(cosmosError(cosmos(503)))).toEqual({ code: 'COSMOS.UNAVAILABLE', transient: true });
  });

  it('cosmosCall translates what the call throws', async () => {
    await expect(cosmosCall(() => Promise.reject(cosmos(412)))).rejects.toMatchObject({ code: 'COSMOS.PRECONDITION_FAILED' });
  });
});

describe('Blob storage errors', () => {
  const storage = (statusCode: number, code: string) => new RestError(`${code}\nRequestId:1`, { statusCode, code });

  it('403 is STORAGE.FORBIDDEN, 409 and 412 permanent codes, with the storage code kept', () => {
    const forbidden = storageError(storage(403, 'AuthorizationPermissionMismatch'));
    expect([forbidden.code, forbidden.transient, forbidden.message, forbidden.details]).toEqual([
      'STORAGE.FORBIDDEN',
      false,
      'AuthorizationPermissionMismatch',
      { status: 403, storageCode: 'AuthorizationPermissionMismatch' },
    ]);
    expect(summary(storageError(storage(409, 'BlobAlreadyExists')))).toEqual({ code: 'STORAGE.CONFLICT', transient: false });
    expect(summary(storageError(storage(412, 'ConditionNotMet')))).toEqual({ code: 'STORAGE.PRECONDITION_FAILED', transient: false });
  });

  it('429 and 503 (server busy) are STORAGE.THROTTLED, 500 STORAGE.UNAVAILABLE, all transient', () => {
    expect(summary(storageError(storage(429, 'TooManyRequests')))).toEqual({ code: 'STORAGE.THROTTLED', transient: true });
    expect(summary(storageError(storage(503, 'ServerBusy')))).toEqual({ code: 'STORAGE.THROTTLED', transient: true });
    expect(summary(storageError(storage(500, 'InternalError')))).toEqual({ code: 'STORAGE.UNAVAILABLE', transient: true });
  });
});
