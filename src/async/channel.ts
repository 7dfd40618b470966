/**
 * A bounded async queue: producers `await send()` (back-pressure), one
 * consumer reads with `for await`. Closing ends the iteration once drained.
 *
 * @example
 * ```ts
 * import { Channel } from "./channel.ts";
 * const ch = new Channel<number>(2);
 * (async () => { await ch.send(1); await ch.send(2); ch.close(); })();
 * const got: number[] = [];
 * for await (const n of ch) got.push(n);
 * // got is [1, 2]
 * ```
 * @module
 */

/** A bounded single-consumer queue; see the module doc. */
export class Channel<T> implements AsyncIterable<T> {
  #buf: T[] = [];
  #capacity: number;
  #closed = false;
  #readers: ((r: IteratorResult<T>) => void)[] = [];
  #writers: (() => void)[] = [];

  /** @param capacity items buffered before `send` waits; at least 1 */
  constructor(capacity: number) {
    if (!(capacity >= 1)) throw new RangeError(`Channel capacity must be >= 1, got ${capacity}`);
    this.#capacity = capacity;
  }

  /**
   * Queues an item, waiting while the buffer is full. Returns false (and
   * drops the item) when the channel is closed.
   */
  async send(item: T): Promise<boolean> {
    while (!this.#closed && this.#buf.length >= this.#capacity && this.#readers.length === 0) {
      await new Promise<void>((r) => this.#writers.push(r));
    }
    if (this.#closed) return false;
    const reader = this.#readers.shift();
    if (reader) reader({ value: item, done: false });
    else this.#buf.push(item);
    return true;
  }

  /** Ends the channel: readers finish after draining, pending and later sends return false. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of this.#writers.splice(0)) w();
    for (const r of this.#readers.splice(0)) r({ value: undefined, done: true });
  }

  /** Reads the next item; `done` once closed and drained. */
  next(): Promise<IteratorResult<T>> {
    if (this.#buf.length > 0) {
      const value = this.#buf.shift()!;
      this.#writers.shift()?.();
      return Promise.resolve({ value, done: false });
    }
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((r) => this.#readers.push(r));
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return { next: () => this.next() };
  }
}
