/** Tests assert on response bodies of many shapes; one loosely typed reader keeps that readable. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export async function bodyOf(res: Response): Promise<Json> {
  return (await res.json()) as Json;
}
