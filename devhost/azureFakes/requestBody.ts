import { IncomingMessage } from 'node:http';

/** A request's body as text, and parsed as JSON when it is JSON (else the text). */
export async function readRequestBody(req: IncomingMessage): Promise<{ raw: string; json: unknown }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  if (raw.length === 0) return { raw, json: undefined };
  try {
    return { raw, json: JSON.parse(raw) as unknown };
  } catch {
    return { raw, json: raw };
  }
}
