/**
 * NDJSON as a stream: an async iterable of values becomes a byte stream of
 * one JSON document per line, the lines of a burst coalesced into one chunk
 * (see `lingerMs`). Cancelling the stream (a client that goes away) runs the
 * source generator's `finally`.
 *
 * @example
 * ```ts
 * import { ndjsonStream } from "./ndjson_stream.ts";
 * async function* values() { yield { a: 1 }; yield { b: 2 }; }
 * const text = await new Response(ndjsonStream(values())).text();
 * // text === '{"a":1}\n{"b":2}\n'
 * ```
 * @module
 */

/** Serializes each value as one line. */
export function toNdjsonLines<T>(): TransformStream<T, string> {
  return new TransformStream({
    transform(value, controller) {
      controller.enqueue(JSON.stringify(value) + "\n");
    },
  });
}

/** Settings of {@linkcode ndjsonStream}. */
export interface NdjsonStreamOptions {
  /**
   * How long the lines that follow a first one may take to join it in one
   * chunk (one write to the socket): a burst of events becomes a few chunks
   * instead of one each, and a follower still sees each event within this
   * time. 0 sends each line as it comes. @default 5
   */
  lingerMs?: number;
  /** Text of one chunk at most, in UTF-16 code units (one line may be longer). @default 65536 */
  maxChunk?: number;
}

const LINGER_OVER = Symbol("linger over");

/** The bytes of `source` as NDJSON; see the module doc. */
export function ndjsonStream<T>(
  source: AsyncIterable<T>,
  options: NdjsonStreamOptions = {},
): ReadableStream<Uint8Array> {
  const lingerMs = options.lingerMs ?? 5;
  const maxChunk = options.maxChunk ?? 65536;
  const it = source[Symbol.asyncIterator]();
  const encoder = new TextEncoder();
  /** A `next()` asked for while lingering and not answered in time: the next chunk starts with it. */
  let waiting: Promise<IteratorResult<T>> | null = null;
  let done = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (done) return controller.close();
      const first = await (waiting ?? it.next());
      waiting = null;
      if (first.done) return controller.close();
      let text = JSON.stringify(first.value) + "\n";
      if (lingerMs > 0) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const over = new Promise<typeof LINGER_OVER>((resolve) => {
          timer = setTimeout(() => resolve(LINGER_OVER), lingerMs);
        });
        try {
          while (text.length < maxChunk) {
            const next = it.next();
            const r = await Promise.race([next, over]);
            if (r === LINGER_OVER) {
              waiting = next;
              break;
            }
            if (r.done) {
              done = true;
              break;
            }
            text += JSON.stringify(r.value) + "\n";
          }
        } finally {
          clearTimeout(timer);
        }
      }
      controller.enqueue(encoder.encode(text));
    },
    async cancel(reason) {
      // A next() still waiting settles first (the source's own signal ends it).
      await it.return?.(reason);
    },
  }, { highWaterMark: 0 });
}
