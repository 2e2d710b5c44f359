import * as df from 'durable-functions';

/**
 * Activities throw only transient faults (permanent ones come back as tagged failures), so every
 * thrown fault is worth these retries: 2, 4, 8, 16 s apart.
 */
export const transientRetry = new df.RetryOptions(2000, 5);
transientRetry.backoffCoefficient = 2;
