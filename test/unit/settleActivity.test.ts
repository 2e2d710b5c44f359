import { settleActivity } from '../../orchestrations/hosting/registerActivities';
import { permanent, transientError } from '../../shared/errors';

describe('settleActivity', () => {
  const warnings: string[] = [];
  const warn = (message: string) => warnings.push(message);

  it('passes a result through', async () => {
    expect(await settleActivity(async () => ({ ok: true, n: 1 }), warn)).toEqual({ ok: true, n: 1 });
  });

  it('returns a permanent refusal as a tagged failure with its code, so the run fails at once', async () => {
    const refused = await settleActivity(async () => {
      throw permanent('ARM.FORBIDDEN', 'the client does not have authorization to perform action Microsoft.HDInsight/clusters/write');
    }, warn);
    expect(refused).toEqual({ ok: false, code: 'ARM.FORBIDDEN', message: expect.stringContaining('does not have authorization') });
    expect(warnings.at(-1)).toMatch(/^ARM\.FORBIDDEN: /);
  });

  it('throws a transient fault, for the retry policy', async () => {
    await expect(
      settleActivity(async () => {
        throw transientError('ARM.THROTTLED', 'too many requests');
      }, warn),
    ).rejects.toMatchObject({ code: 'ARM.THROTTLED', transient: true });
  });

  it('treats a dropped connection as transient and a coded error without a flag as permanent', async () => {
    await expect(
      settleActivity(async () => {
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:10000'), { code: 'ECONNREFUSED' });
      }, warn),
    ).rejects.toMatchObject({ transient: true });
    expect(
      await settleActivity(async () => {
        throw Object.assign(new Error('no source account named "x"'), { code: 'DATA.UNKNOWN_CONNECTION' });
      }, warn),
    ).toMatchObject({ ok: false, code: 'DATA.UNKNOWN_CONNECTION' });
  });
});
