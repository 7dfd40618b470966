/**
 * The text a streaming tokenizer has been given, as the chunks it came in:
 * positions count from the start of the document, and chunks that end before
 * the oldest position still needed are dropped, so memory stays at about one
 * chunk whatever the document's size.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ChunkBuffer } from "./chunk_buffer.ts";
 * const b = new ChunkBuffer();
 * b.push("<a hr");
 * b.push('ef="/x">');
 * assert.equal(b.slice(3, 7), "href");
 * b.release(5); // nothing before position 5 is needed any more
 * assert.equal(b.slice(5, 13), 'ef="/x">');
 * ```
 * @module
 */

/** See the module doc. */
export class ChunkBuffer {
  #chunks: string[] = [];
  /** Document position of the first character of `#chunks[0]`. */
  #offset = 0;

  /** Adds the next chunk of the document. */
  push(chunk: string): void {
    this.#chunks.push(chunk);
  }

  /** Drops the chunks that end before `pos`: no later read reaches back into them. */
  release(pos: number): void {
    const chunks = this.#chunks;
    while (chunks.length > 1 && pos - this.#offset >= chunks[0].length) {
      this.#offset += chunks[0].length;
      chunks.shift();
    }
  }

  /** The text from `start` to `end` (document positions), across chunks; releases before `start`. */
  slice(start: number, end: number): string {
    if (start === end) return "";
    this.release(start);
    const chunks = this.#chunks;
    let s = chunks[0].slice(start - this.#offset, end - this.#offset);
    for (let i = 1, off = this.#offset + chunks[0].length; end > off; i++) {
      s += chunks[i].slice(0, end - off);
      off += chunks[i].length;
    }
    return s;
  }

  /** The UTF-16 code unit at `pos`, which must not have been released. */
  codeAt(pos: number): number {
    this.release(pos);
    return this.#chunks[0].charCodeAt(pos - this.#offset);
  }
}
