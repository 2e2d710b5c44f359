/**
 * Every code a `CanopyError` (or an activity's tagged failure, or an HTTP error body) carries, by prefix. Codes are
 * stable: callers, orchestrators and API clients branch on them, never on messages or classes.
 */
export type ErrorCode =
  // Azure Resource Manager, as the ARM adapters translate it (shared/adapters/azure/armErrors.ts).
  | 'ARM.BAD_REQUEST'
  | 'ARM.FORBIDDEN'
  | 'ARM.NOT_FOUND'
  | 'ARM.CONFLICT'
  | 'ARM.QUOTA_EXCEEDED'
  | 'ARM.OPERATION_FAILED'
  | 'ARM.THROTTLED'
  | 'ARM.UNAVAILABLE'
  // Livy on an HDInsight cluster's gateway, and the batches it runs.
  | 'LIVY.BAD_REQUEST'
  | 'LIVY.FORBIDDEN'
  | 'LIVY.NOT_FOUND'
  | 'LIVY.CONFLICT'
  | 'LIVY.THROTTLED'
  | 'LIVY.UNAVAILABLE'
  | 'LIVY.BATCH_DEAD'
  | 'LIVY.BATCH_KILLED'
  // Cosmos DB.
  | 'COSMOS.BAD_REQUEST'
  | 'COSMOS.FORBIDDEN'
  | 'COSMOS.NOT_FOUND'
  | 'COSMOS.CONFLICT'
  | 'COSMOS.PRECONDITION_FAILED'
  | 'COSMOS.TOO_LARGE'
  | 'COSMOS.THROTTLED'
  | 'COSMOS.UNAVAILABLE'
  // Blob storage.
  | 'STORAGE.BAD_REQUEST'
  | 'STORAGE.FORBIDDEN'
  | 'STORAGE.NOT_FOUND'
  | 'STORAGE.CONFLICT'
  | 'STORAGE.PRECONDITION_FAILED'
  | 'STORAGE.THROTTLED'
  | 'STORAGE.UNAVAILABLE'
  // The Kubernetes API of an AKS cluster.
  | 'K8S.BAD_REQUEST'
  | 'K8S.FORBIDDEN'
  | 'K8S.NOT_FOUND'
  | 'K8S.CONFLICT'
  | 'K8S.INVALID'
  | 'K8S.THROTTLED'
  | 'K8S.UNAVAILABLE'
  // Faults with no service of their own.
  | 'NETWORK.UNREACHABLE'
  | 'INTERNAL.UNEXPECTED'
  // Configuration and composition.
  | 'CONFIG.INVALID'
  | 'CONFIG.TARGET_UNAVAILABLE'
  | 'SCHEDULE.INVALID'
  // Runs and their steps.
  | 'RUN.ALREADY_RUNNING'
  | 'RUN.CANCELLED'
  | 'RUN.DATA_VERSION_ALREADY_RAN'
  | 'RUN.FAILED'
  | 'RUN.NOT_FOUND'
  | 'RUN.NOT_RUNNING'
  | 'COMPUTE.NOT_RUNNING'
  | 'COMPUTE.INVALID_NAME'
  | 'COMPUTE.FEATURIZER_MISSING'
  | 'COMPUTE.ENVIRONMENT_MISSING'
  | 'COMPUTE.CREATE_FAILED'
  | 'COMPUTE.CREATE_TIMEOUT'
  | 'DATA.COPY_FAILED'
  | 'DATA.EMPTY'
  | 'DATA.MISSING'
  | 'DATA.UNKNOWN_CONNECTION'
  | 'ETL.FAILED'
  | 'ETL.SUBMIT_FAILED'
  | 'ETL.TIMEOUT'
  | 'SPARK.BATCH_FAILED'
  | 'SPARK.NO_OUTPUT'
  | 'SPARK.SUBMIT_FAILED'
  | 'SPARK.TIMEOUT'
  | 'TRAIN.ALL_FAILED'
  | 'TRAIN.NO_OUTPUT'
  | 'TRAIN.SUBMIT_FAILED'
  | 'TRAIN.TIMEOUT'
  | 'SELECT.NO_CANDIDATE'
  | 'REGISTER.NO_CANDIDATE'
  | 'REGISTER.NO_PACKAGE'
  | 'REGISTRY.NOT_FOUND'
  | 'DEPLOY.FAILED'
  | 'DEPLOY.NO_SAMPLE'
  | 'DEPLOY.PRUNE_FAILED'
  | 'DEPLOY.SMOKE_TEST_FAILED'
  | 'DEPLOY.UNHEALTHY'
  | 'PACKAGE.INVALID'
  // The HTTP API's refusals.
  | 'REQUEST.BAD_BODY'
  | 'REQUEST.BAD_JSON'
  | 'REQUEST.BAD_PARAMETER'
  | 'REQUEST.EMPTY'
  | 'REQUEST.INVALID'
  | 'REQUEST.TOO_LARGE'
  | 'SPEC.INVALID'
  | 'PIPELINE.NOT_FOUND'
  | 'BATCH.NOT_FOUND'
  | 'BATCH.NOT_RUNNING'
  | 'SOURCE.EMPTY'
  | 'TRAFFIC.INVALID_SPLIT'
  | 'MODEL.NOT_DEPLOYED'
  | 'MODEL.NOT_FOUND'
  | 'MODEL.NO_PACKAGE'
  | 'MODEL.NO_PRODUCTION'
  | 'MODEL.NO_ROLLBACK_TARGET'
  | 'MODEL.UNSUPPORTED_TASK'
  | 'MODEL.VERSION_NOT_FOUND'
  | 'SCORING.NO_HEALTHY_DEPLOYMENT'
  | 'SCORING.UNSUPPORTED_MEDIA_TYPE'
  // The scorer (scoring/).
  | 'SCORE.BAD_COLUMNS'
  | 'SCORE.BAD_INPUT'
  | 'SCORE.BAD_JSON'
  | 'SCORE.BAD_MULTIPART'
  | 'SCORE.BAD_VALUE'
  | 'SCORE.FAILED'
  | 'SCORE.IMAGE_TOO_LARGE'
  | 'SCORE.LOAD_FAILED'
  | 'SCORE.METHOD_NOT_ALLOWED'
  | 'SCORE.NOT_AN_IMAGE'
  | 'SCORE.NOT_FOUND'
  | 'SCORE.NOT_READY'
  | 'SCORE.NO_DEPLOYMENT'
  | 'SCORE.NO_IMAGES'
  | 'SCORE.PAGE_FAILED'
  | 'SCORE.STOPPING'
  | 'SCORE.TOO_LARGE'
  | 'SCORE.TOO_MANY_ROWS'
  | 'SCORE.UNSUPPORTED_MEDIA_TYPE'
  | 'SCORE.WRONG_LENGTH';

/**
 * Canopy's one error model. Every adapter translates what its SDK or service throws into a
 * `CanopyError` with a stable `code` and a `transient` flag; activities return permanent errors as
 * tagged failures and throw only transient ones, so Durable retries decide on `transient` alone.
 */
export class CanopyError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly transient: boolean,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'CanopyError';
  }
}

/** A permanent refusal: the same request would be refused again. */
export const permanent = (code: string, message: string, details?: Record<string, unknown>): CanopyError =>
  new CanopyError(code, message, false, details);

/** A fault that may pass: a throttle, an outage, a dropped connection. */
export const transientError = (code: string, message: string, details?: Record<string, unknown>): CanopyError =>
  new CanopyError(code, message, true, details);

const transientErrnos = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
]);

/**
 * Any thrown value as a `CanopyError`. A value that already has a string `code` and a boolean
 * `transient` keeps them; a network fault is transient; anything else is an unexpected fault of
 * ours, retried a bounded number of times like the transient ones (a bug does not become a
 * permanent verdict about the user's request).
 */
export function toCanopyError(err: unknown): CanopyError {
  if (err instanceof CanopyError) return err;
  const e = (err ?? {}) as {
    code?: unknown;
    transient?: unknown;
    message?: unknown;
    details?: Record<string, unknown>;
    cause?: { code?: unknown };
  };
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (typeof e.code === 'string' && typeof e.transient === 'boolean') return new CanopyError(e.code, message, e.transient, e.details);
  const errno = typeof e.code === 'string' ? e.code : typeof e.cause?.code === 'string' ? e.cause.code : undefined;
  if (errno && transientErrnos.has(errno)) return transientError('NETWORK.UNREACHABLE', message, { errno });
  if (typeof e.code === 'string' && /^[A-Z]+\.[A-Z_]+$/.test(e.code)) return permanent(e.code, message);
  return transientError('INTERNAL.UNEXPECTED', message);
}

export const isTransient = (err: unknown): boolean => toCanopyError(err).transient;

/** The wait a throttled service asked for (`details.retryAfterMs`), if it named one. */
export function retryAfterMs(err: unknown): number | undefined {
  const value = toCanopyError(err).details?.retryAfterMs;
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** An HTTP `Retry-After` value (seconds, or an HTTP date) in milliseconds from `now`. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (value.trim() !== '' && Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
