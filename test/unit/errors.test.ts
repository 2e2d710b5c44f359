import { ConfigError } from '../../shared/config';
import { ScheduleError, parseSchedule } from '../../shared/domain/schedule';
import { CanopyError, isTransient, parseRetryAfter, permanent, retryAfterMs, toCanopyError, transientError } from '../../shared/errors';

describe('the error model', () => {
  it('builds permanent and transient errors with their details', () => {
    const refused = permanent('ARM.FORBIDDEN', 'no', { status: 403 });
    expect(refused).toBeInstanceOf(Error);
    expect([refused.code, refused.transient, refused.details, refused.message]).toEqual(['ARM.FORBIDDEN', false, { status: 403 }, 'no']);
    expect(transientError('ARM.THROTTLED', 'later').transient).toBe(true);
  });

  it('keeps a CanopyError, and the code, flag and details of anything shaped like one', () => {
    const original = transientError('COSMOS.THROTTLED', 'busy', { retryAfterMs: 50 });
    expect(toCanopyError(original)).toBe(original);
    const shaped = toCanopyError({ code: 'LIVY.FORBIDDEN', transient: false, message: 'm', details: { status: 401 } });
    expect([shaped.code, shaped.transient, shaped.details]).toEqual(['LIVY.FORBIDDEN', false, { status: 401 }]);
  });

  it('makes network faults transient, whether the errno is on the error or on its cause', () => {
    const reset = toCanopyError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    expect([reset.code, reset.transient, reset.details]).toEqual(['NETWORK.UNREACHABLE', true, { errno: 'ECONNRESET' }]);
    const viaCause = toCanopyError(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }));
    expect([viaCause.code, viaCause.transient]).toEqual(['NETWORK.UNREACHABLE', true]);
    expect(isTransient(Object.assign(new Error('x'), { code: 'ETIMEDOUT' }))).toBe(true);
  });

  it('keeps a coded error permanent and makes an unexpected one a bounded transient INTERNAL.UNEXPECTED', () => {
    const coded = toCanopyError(Object.assign(new Error('gone'), { code: 'REGISTRY.NOT_FOUND' }));
    expect([coded.code, coded.transient]).toEqual(['REGISTRY.NOT_FOUND', false]);
    const bug = toCanopyError(new TypeError('x is undefined'));
    expect([bug.code, bug.transient, bug.message]).toEqual(['INTERNAL.UNEXPECTED', true, 'x is undefined']);
    expect(toCanopyError('a string').message).toBe('a string');
  });

  it('reads Retry-After as seconds or an HTTP date, and the delay a translated error carries', () => {
    expect(parseRetryAfter('7')).toBe(7000);
    expect(parseRetryAfter('Fri, 04 Dec 2026 10:00:30 GMT', Date.parse('2026-12-04T10:00:00Z'))).toBe(30_000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(retryAfterMs(transientError('ARM.THROTTLED', 'x', { retryAfterMs: 1500 }))).toBe(1500);
    expect(retryAfterMs(transientError('ARM.UNAVAILABLE', 'x'))).toBeUndefined();
  });

  it('makes the configuration and schedule errors permanent CanopyErrors with their codes', () => {
    const config = new ConfigError(['CANOPY_X is missing.']);
    expect(config).toBeInstanceOf(CanopyError);
    expect([config.code, config.transient, config.problems]).toEqual(['CONFIG.INVALID', false, ['CANOPY_X is missing.']]);
    let schedule: unknown;
    try {
      parseSchedule('* * *');
    } catch (err) {
      schedule = err;
    }
    expect(schedule).toBeInstanceOf(ScheduleError);
    expect(toCanopyError(schedule)).toMatchObject({ code: 'SCHEDULE.INVALID', transient: false });
  });
});
