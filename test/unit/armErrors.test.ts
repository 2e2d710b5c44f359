import { RestError } from '@azure/storage-blob';
import { armCall, armError } from '../../shared/adapters/azure/armErrors';
import { CanopyError } from '../../shared/errors';

/** A RestError as an `@azure/arm-*` client throws it: ARM's status, its error body's code and message, the headers. */
function restError(statusCode: number, code: string, message: string, headers: Record<string, string> = {}): RestError {
  const response = { status: statusCode, headers: { get: (name: string) => headers[name.toLowerCase()] } };
  return new RestError(message, { statusCode, code, response: response as never });
}

const translated = (err: unknown) => {
  const e = armError(err);
  return { code: e.code, transient: e.transient };
};

describe('ARM errors', () => {
  it('403 AuthorizationFailed is ARM.FORBIDDEN, permanent, with Azure message and code kept', () => {
    const message =
      "The client 'c' with object id 'o' does not have authorization to perform action 'Microsoft.HDInsight/clusters/write' over scope '/subscriptions/s'.";
    const err = armError(restError(403, 'AuthorizationFailed', message));
    expect(err).toBeInstanceOf(CanopyError);
    expect([err.code, err.transient, err.message, err.details]).toEqual([
      'ARM.FORBIDDEN',
      false,
      message,
      { status: 403, azureCode: 'AuthorizationFailed' },
    ]);
    expect(translated(restError(401, 'InvalidAuthenticationToken', 'The access token is invalid.'))).toEqual({
      code: 'ARM.FORBIDDEN',
      transient: false,
    });
  });

  it('quota refusals are ARM.QUOTA_EXCEEDED, permanent, whatever status and code they come with', () => {
    const quota = { code: 'ARM.QUOTA_EXCEEDED', transient: false };
    expect(translated(restError(409, 'QuotaExceeded', 'Operation results in exceeding quota limits of Core.'))).toEqual(quota);
    expect(
      translated(
        restError(
          400,
          'BadRequest',
          "User SubscriptionId 's' does not have cores left to create resource 'c'. Required: 40, Available: 20.",
        ),
      ),
    ).toEqual(quota);
    expect(
      translated(
        restError(
          409,
          'OperationNotAllowed',
          'Operation could not be completed as it results in exceeding approved Total Regional Cores quota.',
        ),
      ),
    ).toEqual(quota);
    expect(translated(restError(409, 'SkuNotAvailable', "The requested size for resource 'x' is currently not available."))).toEqual(quota);
    expect(translated(restError(400, 'InsufficientCoresQuota', 'no cores'))).toEqual(quota);
  });

  it('400 is ARM.BAD_REQUEST and 404 ARM.NOT_FOUND, both permanent', () => {
    expect(translated(restError(400, 'InvalidRequestContent', 'The request content was invalid'))).toEqual({
      code: 'ARM.BAD_REQUEST',
      transient: false,
    });
    expect(translated(restError(404, 'ResourceNotFound', 'not found'))).toEqual({ code: 'ARM.NOT_FOUND', transient: false });
  });

  it('409 is permanent unless another operation holds the resource', () => {
    expect(translated(restError(409, 'Conflict', "The resource 'c' is being deleted; retry once the delete has finished."))).toEqual({
      code: 'ARM.CONFLICT',
      transient: true,
    });
    expect(translated(restError(409, 'AnotherOperationInProgress', 'Another operation is in progress on the cluster.'))).toEqual({
      code: 'ARM.CONFLICT',
      transient: true,
    });
    expect(translated(restError(409, 'InvalidResourceLocation', "The resource 'c' already exists in location 'westus'."))).toEqual({
      code: 'ARM.CONFLICT',
      transient: false,
    });
  });

  it('429 is ARM.THROTTLED, transient, with the Retry-After; 5xx and 408 are ARM.UNAVAILABLE, transient', () => {
    const throttled = armError(restError(429, 'TooManyRequests', 'The request is throttled.', { 'retry-after': '17' }));
    expect([throttled.code, throttled.transient, throttled.details?.retryAfterMs]).toEqual(['ARM.THROTTLED', true, 17_000]);
    expect(translated(restError(500, 'InternalServerError', 'boom'))).toEqual({ code: 'ARM.UNAVAILABLE', transient: true });
    expect(translated(restError(503, 'ServiceUnavailable', 'later'))).toEqual({ code: 'ARM.UNAVAILABLE', transient: true });
    expect(translated(restError(408, 'RequestTimeout', 'slow'))).toEqual({ code: 'ARM.UNAVAILABLE', transient: true });
  });

  it('a failed long-running operation is classified by the error body it carries', () => {
    const lro = (code: string, message: string) => new Error(`The long-running operation has failed. ${code}. ${message}`);
    const quota = armError(lro('InsufficientCores', 'The subscription has 8 cores left in eastus; 40 are needed.'));
    expect([quota.code, quota.transient, quota.message]).toEqual([
      'ARM.QUOTA_EXCEEDED',
      false,
      'The subscription has 8 cores left in eastus; 40 are needed.',
    ]);
    expect(translated(lro('AuthorizationFailed', 'no access to the storage account'))).toEqual({ code: 'ARM.FORBIDDEN', transient: false });
    expect(translated(lro('InvalidDocumentErrorCode', 'bad gateway config'))).toEqual({ code: 'ARM.OPERATION_FAILED', transient: false });
  });

  it('a network errno without any answer is transient; a CanopyError passes unchanged', async () => {
    expect(translated(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' }))).toEqual({
      code: 'NETWORK.UNREACHABLE',
      transient: true,
    });
    const already = new CanopyError('ARM.THROTTLED', 'x', true);
    expect(armError(already)).toBe(already);
    await expect(armCall(() => Promise.reject(restError(403, 'AuthorizationFailed', 'denied')))).rejects.toMatchObject({
      code: 'ARM.FORBIDDEN',
      transient: false,
      message: 'denied',
    });
    expect(await armCall(async () => 'created')).toBe('created');
  });
});
