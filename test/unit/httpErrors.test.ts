import { ApiError, errorResponse } from '../../functions/lib/http';
import { CanopyError, permanent, transientError } from '../../shared/errors';

describe('HTTP error responses', () => {
  it.each([
    ['MODEL.NOT_FOUND', 404],
    ['MODEL.VERSION_NOT_FOUND', 404],
    ['TRAFFIC.INVALID_SPLIT', 400],
    ['SPEC.INVALID', 400],
    ['MODEL.NOT_DEPLOYED', 409],
    ['RUN.ALREADY_RUNNING', 409],
    ['RUN.DATA_VERSION_ALREADY_RAN', 409],
    ['MODEL.NO_ROLLBACK_TARGET', 409],
  ])('answers a refusal %s with %i and its code, message and details', (code, status) => {
    expect(errorResponse(permanent(code, 'refused', { problems: ['p'] }))).toEqual({
      status,
      jsonBody: { error: { code, message: 'refused', details: { problems: ['p'] } } },
    });
  });

  it('answers with the status an ApiError names', () => {
    expect(errorResponse(new ApiError(413, 'REQUEST.TOO_LARGE', 'too large'))).toEqual({
      status: 413,
      jsonBody: { error: { code: 'REQUEST.TOO_LARGE', message: 'too large' } },
    });
  });

  it('answers a transient fault with 503, passing on the wait the service asked for', () => {
    expect(errorResponse(transientError('COSMOS.THROTTLED', 'throttled', { retryAfterMs: 1500 }))).toMatchObject({
      status: 503,
      headers: { 'retry-after': '2' },
      jsonBody: { error: { code: 'COSMOS.THROTTLED' } },
    });
  });

  it('keeps the configuration problems out of the body', () => {
    expect(errorResponse(new CanopyError('CONFIG.INVALID', 'CANOPY_COSMOS_ENDPOINT is missing', false))).toEqual({
      status: 500,
      jsonBody: { error: { code: 'CONFIG.INVALID', message: 'the app is misconfigured; see its log' } },
    });
  });

  it("rethrows a fault of ours, or a dependency's permanent refusal, for the host to answer 500 and log", () => {
    const bug = new TypeError('x is undefined');
    expect(() => errorResponse(bug)).toThrow(bug);
    const forbidden = permanent('COSMOS.FORBIDDEN', 'the identity has no role on the account');
    expect(() => errorResponse(forbidden)).toThrow(forbidden);
  });
});
