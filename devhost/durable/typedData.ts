import { RpcTypedData } from '../coreTypes';

/** The value the programming model returned, as the worker hands it to the host. */
export function fromTypedData(data: RpcTypedData | null | undefined): unknown {
  if (!data) return undefined;
  if (data.json !== undefined && data.json !== null) return JSON.parse(data.json);
  if (data.string !== undefined && data.string !== null) return data.string;
  if (data.int !== undefined && data.int !== null) return Number(data.int);
  if (data.double !== undefined && data.double !== null) return data.double;
  if (data.bytes) return Buffer.from(data.bytes).toString('base64');
  return undefined;
}

export function jsonOrNull(value: unknown): string {
  return value === undefined ? 'null' : JSON.stringify(value);
}
