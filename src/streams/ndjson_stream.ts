/**
 * NDJSON as a stream composition: an async iterable of values becomes a
 * byte stream of one JSON document per line. Cancelling the stream (a client
 * that goes away) runs the source generator's `finally`.
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

/** The bytes of `source` as NDJSON; see the module doc. */
export function ndjsonStream<T>(source: AsyncIterable<T>): ReadableStream<Uint8Array> {
  return ReadableStream.from(source)
    .pipeThrough(toNdjsonLines<T>())
    .pipeThrough(new TextEncoderStream());
}
