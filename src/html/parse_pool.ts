/**
 * Link extraction on other cores: a small pool of workers running
 * `parse_worker.ts`. The crawl's event loop reads each body and forwards its
 * chunks as they arrive (transferred, not copied); a worker decodes and
 * parses them incrementally and answers with the title and links. On a
 * 2-core machine this moves the tokenizer and URL resolution, about half of
 * the crawl's CPU, off the thread that drives the sockets.
 *
 * @example
 * ```ts ignore
 * await using pool = new ParsePool(1);
 * const info = await pool.extract(chunks, "text/html", "http://a.test/", signal);
 * ```
 * @module
 */
import type { ExtractOptions, PageInfo } from "./extract_page.ts";
import type { FromWorker, ToWorker } from "./parse_worker.ts";

interface Pending {
  resolve: (info: PageInfo) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  open: number;
}

/** A fixed set of parse workers; see the module doc. */
export class ParsePool implements AsyncDisposable {
  #slots: Slot[] = [];
  #pending = new Map<number, Pending>();
  #next = 0;
  #closed = false;

  /** @param size how many workers (at least 1) */
  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`ParsePool size must be a positive integer, got ${size}`);
    }
    for (let i = 0; i < size; i++) {
      const worker = new Worker(new URL("./parse_worker.ts", import.meta.url).href, {
        type: "module",
      });
      worker.onmessage = (e: MessageEvent<FromWorker>) => this.#settle(e.data);
      worker.onerror = (e) => {
        e.preventDefault();
        this.#failAll(new Error(`parse worker failed: ${e.message}`));
      };
      this.#slots.push({ worker, open: 0 });
    }
  }

  #settle(m: FromWorker): void {
    const p = this.#pending.get(m.id);
    if (!p) return;
    this.#pending.delete(m.id);
    if (m.ok) {
      const { title, links, meta, content, contentTruncated } = m;
      p.resolve({ title, links, meta, content, contentTruncated });
    } else p.reject(new Error(m.message));
  }

  #failAll(e: Error): void {
    for (const p of this.#pending.values()) p.reject(e);
    this.#pending.clear();
  }

  /**
   * Sends a document's chunks to the least busy worker as they come and
   * resolves with what it found. Errors of `chunks` (a timeout, `too_large`)
   * and aborts of `signal` reject, and the worker drops the document.
   */
  async extract(
    chunks: AsyncIterable<Uint8Array>,
    contentType: string | null,
    url: string,
    signal: AbortSignal,
    options: ExtractOptions = {},
  ): Promise<PageInfo> {
    if (this.#closed) throw new Error("ParsePool is closed");
    const slot = this.#slots.reduce((a, b) => (b.open < a.open ? b : a));
    const id = ++this.#next;
    const post = (m: ToWorker, transfer?: Transferable[]) =>
      slot.worker.postMessage(m, transfer ?? []);
    slot.open++;
    const result = new Promise<PageInfo>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
    });
    const onAbort = () => {
      const p = this.#pending.get(id);
      if (!p) return;
      this.#pending.delete(id);
      post({ id, kind: "cancel" });
      p.reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      post({ id, kind: "open", url, contentType, content: options.content });
      for await (const c of chunks) {
        const own = c.byteOffset === 0 && c.byteLength === c.buffer.byteLength ? c : c.slice();
        post({ id, kind: "chunk", bytes: own }, [own.buffer as ArrayBuffer]);
      }
      post({ id, kind: "end" });
      return await result;
    } catch (e) {
      if (this.#pending.delete(id)) post({ id, kind: "cancel" });
      result.catch(() => {});
      throw e;
    } finally {
      slot.open--;
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** Terminates the workers; documents still open are rejected. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#failAll(new Error("ParsePool closed"));
    for (const s of this.#slots) s.worker.terminate();
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}
