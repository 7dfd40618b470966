/**
 * Writes values to a byte stream as NDJSON, one line each, coalescing lines
 * while the previous write is still in progress: a line is handed to the
 * sink at once when the sink is idle (a terminal sees each event as it
 * happens), and a burst of events becomes one write instead of hundreds.
 * Memory is bounded: past `maxPendingBytes` of unwritten text the loop waits
 * for the sink, which pauses the source (and a crawl behind it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeNdjson } from "./write_ndjson.ts";
 * async function* values() { yield { a: 1 }; yield { b: 2 }; }
 * const chunks: string[] = [];
 * const sink = new WritableStream<Uint8Array>({
 *   write(c) { chunks.push(new TextDecoder().decode(c)); },
 * });
 * await writeNdjson(values(), sink);
 * assert.equal(chunks.join(""), '{"a":1}\n{"b":2}\n');
 * ```
 * @module
 */

/**
 * Lines already encoded as NDJSON (each ending in `\n`), written as they
 * are: a worker thread that encoded its values itself hands over one string
 * instead of the values (copying a string between threads is a memcpy;
 * cloning the values costs more than encoding them).
 */
export class NdjsonText {
  /** Whole lines, each ending in `\n`. */
  readonly text: string;

  /** Wraps lines already encoded; `text` is whole lines, each ending in `\n`. */
  constructor(text: string) {
    this.text = text;
  }
}

/** Settings of {@linkcode writeNdjson}. */
export interface WriteNdjsonOptions {
  /** Leave `out` open at the end (e.g. stdout). @default {false} */
  preventClose?: boolean;
  /** Unwritten text allowed before the source is paused. @default {1048576} */
  maxPendingBytes?: number;
}

/**
 * Drains `source` into `out` as NDJSON ({@linkcode NdjsonText} values as
 * they are) and resolves once every line is
 * written (and `out` closed, unless `preventClose`). A failing write rejects
 * and stops the source (its `return()` runs).
 */
export async function writeNdjson<T>(
  source: AsyncIterable<T>,
  out: WritableStream<Uint8Array>,
  options: WriteNdjsonOptions = {},
): Promise<void> {
  const maxPending = options.maxPendingBytes ?? 1 << 20;
  const encoder = new TextEncoder();
  const writer = out.getWriter();
  let pending = "";
  let writing: Promise<void> | null = null;
  let failure: { error: unknown } | null = null;

  const kick = () => {
    if (writing !== null || pending === "" || failure !== null) return;
    const chunk = encoder.encode(pending);
    pending = "";
    writing = writer.write(chunk).then(() => {
      writing = null;
      kick();
    }, (error) => {
      writing = null;
      failure = { error };
    });
  };

  try {
    for await (const value of source) {
      if (failure !== null) break;
      pending += value instanceof NdjsonText ? value.text : JSON.stringify(value) + "\n";
      kick();
      while (pending.length >= maxPending && writing !== null) await writing;
    }
    while (writing !== null) await writing;
    kick();
    while (writing !== null) await writing;
    if (failure !== null) throw (failure as { error: unknown }).error;
    if (!options.preventClose) await writer.close();
  } finally {
    writer.releaseLock();
  }
}
