/**
 * A streamed NDJSON response of an async generator. The generator gets a
 * signal that aborts when the client goes away (or when `signal` aborts, e.g.
 * at shutdown), so a follower waiting for new events stops at once; an error
 * after the client left ends the stream quietly. `onClose` runs exactly once,
 * when the stream ends for any reason.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ndjsonResponse } from "./ndjson_response.ts";
 * let closed = 0;
 * async function* values() { yield { a: 1 }; yield { b: 2 }; }
 * const res = ndjsonResponse(() => values(), { onClose: () => closed++ });
 * assert.equal(await res.text(), '{"a":1}\n{"b":2}\n');
 * assert.equal(closed, 1);
 * ```
 * @module
 */
import { ndjsonStream } from "../streams/ndjson_stream.ts";

/** The media type of NDJSON. */
export const NDJSON = "application/x-ndjson";

/** Settings of {@linkcode ndjsonResponse}. */
export interface NdjsonResponseOptions {
  /** Ends the stream when aborted (the service shutting down). */
  signal?: AbortSignal;
  /** Called once when the stream ends: done, failed or cancelled. */
  onClose?: () => void;
}

/** See the module doc. */
export function ndjsonResponse<T>(
  make: (signal: AbortSignal) => AsyncGenerator<T>,
  options: NdjsonResponseOptions = {},
): Response {
  let open = true;
  const gone = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, gone.signal]) : gone.signal;
  const source = make(signal);
  const release = () => {
    if (open) options.onClose?.();
    open = false;
  };
  const iterable: AsyncIterable<T> = {
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        try {
          const r = await source.next();
          if (r.done) release();
          return r;
        } catch (e) {
          release();
          if (signal.aborted) return { done: true, value: undefined };
          throw e;
        }
      },
      return: (value?: unknown) => {
        gone.abort();
        release();
        return source.return(value as undefined).catch(() => ({ done: true, value: undefined }));
      },
    }),
  };
  return new Response(ndjsonStream(iterable), {
    headers: {
      "content-type": NDJSON,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
}
