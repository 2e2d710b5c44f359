import { CanopyError, ErrorCode, permanent, toCanopyError, transientError } from '../../errors';

/** What `@kubernetes/client-node` 0.x throws: an `HttpError` with the API server's status and its `Status` body. */
interface KubernetesErrorShape {
  statusCode?: number;
  body?: { message?: string; reason?: string };
  message?: string;
}

const permanentByStatus: Record<number, ErrorCode> = {
  400: 'K8S.BAD_REQUEST',
  401: 'K8S.FORBIDDEN',
  403: 'K8S.FORBIDDEN',
  404: 'K8S.NOT_FOUND',
  409: 'K8S.CONFLICT',
  422: 'K8S.INVALID',
};

/**
 * What a Kubernetes API call threw, as a `CanopyError`. A 403 is the usual first-deployment fault (the app's identity
 * lacks a data-plane role such as RBAC Writer on the namespace), so the API server's own message is kept.
 */
export function kubernetesError(err: unknown): CanopyError {
  if (err instanceof CanopyError) return err;
  const e = err as KubernetesErrorShape | undefined;
  if (typeof e?.statusCode !== 'number') return toCanopyError(err);
  const message = e.body?.message ?? e.message ?? `Kubernetes API answered ${e.statusCode}`;
  const details = { status: e.statusCode, reason: e.body?.reason };
  const code = permanentByStatus[e.statusCode];
  if (code) return permanent(code, message, details);
  return transientError(e.statusCode === 429 ? 'K8S.THROTTLED' : 'K8S.UNAVAILABLE', message, details);
}

/** Runs one Kubernetes call, translating what it throws. */
export async function kubernetesCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw kubernetesError(err);
  }
}
