/**
 * Streams a response body, counting decoded bytes and stopping at a cap, so
 * a huge body or a compression bomb costs at most `maxBytes` of reading and
 * a chunk of memory; and decodes byte chunks to text in the encoding sniffed
 * from the header, BOM or `<meta>` (or the bytes, when none is declared).
 *
 * @example
 * ```ts
 * import { bodyText } from "./response_body.ts";
 * const res = new Response("<p>hi</p>", { headers: { "content-type": "text/html" } });
 * const counter = { bytes: 0 };
 * let text = "";
 * for await (const s of bodyText(res, { maxBytes: 1024, counter })) text += s;
 * // text === "<p>hi</p>", counter.bytes === 9
 * ```
 * @module
 */
import { HtmlDecoder } from "../html/decode_html.ts";
import { CrawlError } from "./crawl_error.ts";

/** Settings of {@linkcode bodyBytes} and {@linkcode bodyText}. */
export interface BodyReadOptions {
  /** Decoded bytes allowed; past it the read fails with `too_large`. */
  maxBytes: number;
  /** Receives the running count of bytes read. */
  counter: { bytes: number };
  /** Called once the body has ended, before its last chunk is yielded. */
  onEnd?: () => void;
}

/**
 * Adds `bytes` of body to `counter`; throws `CrawlError("too_large")` once
 * the count passes `maxBytes`. The one home of that rule, for the streamed
 * body ({@linkcode bodyBytes}) and a body read whole.
 */
export function countBody(bytes: number, counter: { bytes: number }, maxBytes: number): void {
  counter.bytes += bytes;
  if (counter.bytes > maxBytes) {
    throw new CrawlError("too_large", `Body exceeds ${maxBytes} bytes`);
  }
}

/**
 * Yields the body's chunks, counting them; throws `CrawlError("too_large")`
 * past `maxBytes`. The body is cancelled whenever the loop ends early. It
 * reads one chunk ahead, so `onEnd` runs as soon as the body has ended,
 * before the last chunk is handed on (and parsed).
 */
export async function* bodyBytes(
  res: Response,
  options: BodyReadOptions,
): AsyncGenerator<Uint8Array> {
  const { maxBytes, counter, onEnd } = options;
  if (!res.body) {
    onEnd?.();
    return;
  }
  const reader = res.body.getReader();
  try {
    let next = await reader.read();
    if (next.done) onEnd?.();
    while (!next.done) {
      const value = next.value;
      countBody(value.byteLength, counter, maxBytes);
      next = await reader.read();
      if (next.done) onEnd?.();
      yield value;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/**
 * The body as decoded text chunks: {@linkcode bodyBytes} through `HtmlDecoder`
 * (the encoding the document declares or, when it declares none, the one its
 * bytes call for).
 */
export function bodyText(res: Response, options: BodyReadOptions): AsyncGenerator<string> {
  return new HtmlDecoder(res.headers.get("content-type")).decode(bodyBytes(res, options));
}
