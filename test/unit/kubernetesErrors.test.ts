import { kubernetesCall, kubernetesError } from '../../shared/adapters/azure/kubernetesErrors';

/** An `HttpError` as `@kubernetes/client-node` 0.x throws it. */
const httpError = (statusCode: number, message: string, reason?: string) =>
  Object.assign(new Error('HTTP request failed'), { statusCode, body: { kind: 'Status', message, reason } });

describe('kubernetesError', () => {
  it('keeps the API server message of a refusal, permanent', () => {
    const forbidden = kubernetesError(
      httpError(
        403,
        'deployments.apps is forbidden: User "canopy" cannot create resource "deployments" in the namespace "canopy"',
        'Forbidden',
      ),
    );
    expect(forbidden).toMatchObject({ code: 'K8S.FORBIDDEN', transient: false, details: { status: 403, reason: 'Forbidden' } });
    expect(forbidden.message).toMatch(/cannot create resource "deployments"/);
    expect(kubernetesError(httpError(422, 'Deployment.apps "x" is invalid'))).toMatchObject({ code: 'K8S.INVALID', transient: false });
    expect(kubernetesError(httpError(409, 'already exists'))).toMatchObject({ code: 'K8S.CONFLICT', transient: false });
  });

  it('retries throttling and server faults', () => {
    expect(kubernetesError(httpError(429, 'too many requests'))).toMatchObject({ code: 'K8S.THROTTLED', transient: true });
    expect(kubernetesError(httpError(503, 'etcdserver: leader changed'))).toMatchObject({ code: 'K8S.UNAVAILABLE', transient: true });
  });

  it('translates what a call throws, and lets a network fault stay transient', async () => {
    await expect(kubernetesCall(() => Promise.reject(httpError(401, 'Unauthorized')))).rejects.toMatchObject({ code: 'K8S.FORBIDDEN' });
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.4:443'), { code: 'ECONNREFUSED' });
    await expect(kubernetesCall(() => Promise.reject(refused))).rejects.toMatchObject({ transient: true });
  });
});
