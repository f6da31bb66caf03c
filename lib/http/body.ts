/**
 * Read a body (an HTTP request's or response's) as UTF-8 text, stopping at maxBytes: undefined when it
 * declares or turns out to be larger, after cancelling the rest. One bounded reader for every untrusted body.
 */
export async function readBodyCapped(body: ReadableStream<Uint8Array> | null, maxBytes: number, declaredLength?: string | null): Promise<string | undefined> {
  const declared = Number(declaredLength ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await body?.cancel();
    return undefined;
  }
  if (!body) return "";
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
