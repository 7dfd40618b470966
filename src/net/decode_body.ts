/**
 * Undoing content codings (gzip, deflate, br) of a response body as it is
 * read, without ever inflating more than the reader asks for: a 100 MB
 * decompression bomb read to a 1 MB cap costs about 1 MB.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gzipSync } from "node:zlib";
 * import { contentCodings } from "./content_codings.ts";
 * import { decodeBody } from "./decode_body.ts";
 * const raw = new Response(new Uint8Array(gzipSync("hello"))).body!;
 * const decoded = decodeBody(raw, contentCodings("gzip")!, new AbortController().signal);
 * assert.equal(await new Response(decoded).text(), "hello");
 * ```
 * @module
 */
import { finished, pipeline, Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import zlib from "node:zlib";
import { onAbort } from "../async/on_abort.ts";

function decoderFor(coding: string, head: Uint8Array | null): zlib.Gunzip | zlib.BrotliDecompress {
  const { Z_SYNC_FLUSH, BROTLI_OPERATION_FLUSH } = zlib.constants;
  const lenient = { flush: Z_SYNC_FLUSH, finishFlush: Z_SYNC_FLUSH };
  switch (coding) {
    case "br":
      return zlib.createBrotliDecompress({
        flush: BROTLI_OPERATION_FLUSH,
        finishFlush: BROTLI_OPERATION_FLUSH,
      });
    case "deflate": {
      // "deflate" should be zlib-wrapped (RFC 9110) but some servers send it raw.
      const zlibWrapped = head === null || head.length < 2 ||
        ((head[0] & 0x0f) === 8 && ((head[0] << 8) | head[1]) % 31 === 0);
      return zlibWrapped ? zlib.createInflate(lenient) : zlib.createInflateRaw(lenient);
    }
    default:
      return zlib.createGunzip(lenient);
  }
}

/**
 * `body` with its content codings undone (`codings` in the order to undo
 * them, from {@linkcode contentCodings}), decoded as it is pulled: the
 * source is paused whenever a chunk waits unread, so nothing is read beyond
 * what node's stream buffers hold (about 16 KiB per stage) and a
 * decompression bomb costs what the consumer reads. Aborting `signal` errors
 * the stream with its reason; cancelling it cancels `body`.
 *
 * Corrupt data errors the stream with a `TypeError` "Corrupt gzip body: …"
 * (the zlib error as `cause`); an error of `body` itself (a connection cut
 * mid-body) passes through as it is. Compressed data that simply stops (a
 * gzip member without its trailer, a deflate stream without its last block,
 * inside a body whose HTTP framing is complete) is decoded as far as it goes,
 * as browsers and undici's `fetch` do (they flush with `Z_SYNC_FLUSH`).
 */
export function decodeBody(
  body: ReadableStream<Uint8Array>,
  codings: string[],
  signal: AbortSignal,
): ReadableStream<Uint8Array> {
  const res = Readable.fromWeb(body as NodeReadableStream<Uint8Array>, { highWaterMark: 16384 });
  const streams: Readable[] = [res];
  let source: Readable | null = null;
  let settled = false;
  let offAbort = () => {};
  let controller: ReadableStreamDefaultController<Uint8Array>;

  const destroyAll = () => {
    for (const s of streams) s.destroy();
  };
  const settle = () => {
    settled = true;
    offAbort();
  };
  const fail = (err: unknown) => {
    if (settled) return;
    settle();
    destroyAll();
    controller.error(err);
  };

  /** The coding whose decoder failed first, to name it in the error. */
  let failedCoding: string | null = null;
  const decodeError = (err: unknown): unknown => {
    if (failedCoding === null) return err;
    const msg = err instanceof Error ? err.message : String(err);
    return new TypeError(`Corrupt ${failedCoding} body: ${msg}`, { cause: err });
  };

  const attach = (s: Readable) => {
    source = s;
    s.on("data", (chunk: Uint8Array) => {
      if (settled) return;
      controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      if ((controller.desiredSize ?? 0) <= 0) s.pause();
    });
    finished(s, (err) => {
      if (settled) return;
      if (err) return fail(decodeError(err));
      settle();
      controller.close();
    });
  };

  const decode = (head: Uint8Array | null) => {
    if (settled) return;
    if (head === null) return attach(res);
    let last: Readable = res;
    codings.forEach((coding, i) => {
      const decoder = decoderFor(coding, i === 0 ? head : null);
      decoder.once("error", () => failedCoding ??= coding);
      if (i === 0) decoder.write(head);
      streams.push(decoder);
      last = decoder;
    });
    pipeline(streams as [Readable, ...zlib.Gunzip[]], () => {
      // Errors reach the consumer through the last stream's finished().
    });
    attach(last);
  };

  return new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      if (signal.aborted) return fail(signal.reason);
      offAbort = onAbort(signal, fail);
      firstChunk(res).then(decode, fail);
    },
    pull() {
      source?.resume();
    },
    cancel() {
      settle();
      destroyAll();
    },
  }, { highWaterMark: 1 });
}

/** Reads the first chunk of `res` (null when the body is empty), then pauses it. */
function firstChunk(res: Readable): Promise<Uint8Array | null> {
  const { promise, resolve, reject } = Promise.withResolvers<Uint8Array | null>();
  const cleanup = () => {
    res.off("data", onData);
    res.off("end", onEnd);
    res.off("error", onError);
    res.off("close", onClose);
  };
  const onData = (chunk: Uint8Array) => {
    res.pause();
    cleanup();
    resolve(chunk);
  };
  const onEnd = () => {
    cleanup();
    resolve(null);
  };
  const onError = (err: Error) => {
    cleanup();
    reject(err);
  };
  const onClose = () => {
    cleanup();
    reject(new TypeError("Response body closed before it ended"));
  };
  res.on("data", onData).on("end", onEnd).on("error", onError).on("close", onClose);
  return promise;
}
