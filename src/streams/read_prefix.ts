/**
 * Reads a byte stream into one buffer, but never more than a cap: the rest
 * is not read and the stream is cancelled.
 *
 * @example
 * ```ts
 * import { readPrefix } from "./read_prefix.ts";
 * const { bytes, truncated } = await readPrefix(new Response("hello").body!, 4);
 * // new TextDecoder().decode(bytes) === "hell", truncated === true
 * ```
 * @module
 */

/** What {@linkcode readPrefix} read. */
export interface PrefixRead {
  /** At most `maxBytes` bytes. */
  bytes: Uint8Array;
  /** True when the stream had more than `maxBytes` bytes. */
  truncated: boolean;
}

/** Reads up to `maxBytes` of `stream`; see the module doc. */
export async function readPrefix(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
): Promise<PrefixRead> {
  const parts: Uint8Array[] = [];
  let n = 0;
  let truncated = false;
  const reader = stream.getReader();
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      if (n + value.byteLength > maxBytes) {
        parts.push(value.subarray(0, maxBytes - n));
        n = maxBytes;
        truncated = true;
        break;
      }
      parts.push(value);
      n += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    bytes.set(p, o);
    o += p.byteLength;
  }
  return { bytes, truncated };
}
