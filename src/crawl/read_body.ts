/**
 * Streams a response body as decoded text, counting decoded bytes and
 * stopping at a cap, so a huge body or a compression bomb costs at most
 * `maxBytes` of reading and a chunk of memory.
 *
 * @example
 * ```ts
 * import { bodyText } from "./read_body.ts";
 * const res = new Response("<p>hi</p>", { headers: { "content-type": "text/html" } });
 * const counter = { bytes: 0 };
 * let text = "";
 * for await (const s of bodyText(res, { maxBytes: 1024, counter })) text += s;
 * // text === "<p>hi</p>", counter.bytes === 9
 * ```
 * @module
 */
import { PRESCAN_BYTES, sniffCharset } from "../html/sniff_charset.ts";
import { CrawlError } from "./crawl_error.ts";

/** Settings of {@linkcode bodyText}. */
export interface BodyTextOptions {
  /** Decoded bytes allowed; past it the read fails with `too_large`. */
  maxBytes: number;
  /** Receives the running count of bytes read. */
  counter: { bytes: number };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const c = new Uint8Array(a.byteLength + b.byteLength);
  c.set(a);
  c.set(b, a.byteLength);
  return c;
}

/**
 * Yields the body as text in the encoding sniffed from the header, BOM or
 * `<meta>`. Throws `CrawlError("too_large")` past `maxBytes`; the body is
 * cancelled whenever the loop ends early.
 */
export async function* bodyText(
  res: Response,
  options: BodyTextOptions,
): AsyncGenerator<string> {
  if (!res.body) return;
  const { maxBytes, counter } = options;
  const reader = res.body.getReader();
  let decoder: TextDecoder | null = null;
  let head: Uint8Array = new Uint8Array(0);
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      counter.bytes += value.byteLength;
      if (counter.bytes > maxBytes) {
        throw new CrawlError("too_large", `Body exceeds ${maxBytes} bytes`);
      }
      if (decoder === null) {
        head = head.byteLength === 0 ? value : concat(head, value);
        if (head.byteLength < PRESCAN_BYTES) continue;
        decoder = new TextDecoder(sniffCharset(res.headers.get("content-type"), head));
        yield decoder.decode(head, { stream: true });
        continue;
      }
      yield decoder.decode(value, { stream: true });
    }
    if (decoder === null) {
      decoder = new TextDecoder(sniffCharset(res.headers.get("content-type"), head));
      yield decoder.decode(head);
    } else {
      const tail = decoder.decode();
      if (tail) yield tail;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}
