/**
 * Fetches one sitemap file and streams it as text: redirects followed by
 * hand through the crawl's `Fetcher` (so its address guard applies to every
 * hop), gzip undone when the bytes start with gzip's magic number (whatever
 * the URL or the content type say; a `Content-Encoding` was already undone by
 * the fetcher), and reading stopped at `maxBytes` decoded bytes, so a gzip
 * bomb or a 1 GB sitemap costs a bounded amount of memory and reading.
 *
 * @example
 * ```ts ignore
 * const s = await openSitemap("http://a.test/sitemap.xml.gz", { fetcher, headers, maxBytes, maxRedirects: 5, signal });
 * for await (const text of s.text) console.log(text.length);
 * s.truncated; // true when maxBytes was reached
 * ```
 * @module
 */
import type { Fetcher } from "../net/fetcher.ts";
import { normalizeUrl } from "../url/normalize_url.ts";
import { SitemapError } from "./sitemap_error.ts";

/** Settings of {@linkcode openSitemap}. */
export interface OpenSitemapOptions {
  fetcher: Fetcher;
  headers: Headers;
  /** Decoded (decompressed) bytes read at most; the rest is not read. */
  maxBytes: number;
  /** Redirect hops followed. */
  maxRedirects: number;
  signal: AbortSignal;
}

/** An open sitemap response. */
export interface OpenedSitemap {
  /** The URL of the last redirect hop. */
  finalUrl: string;
  status: number;
  /** The body as text; empty unless `status` is 2xx. Read it once. */
  text: AsyncGenerator<string>;
  /** Decoded bytes read so far. */
  readonly bytes: number;
  /** True once reading stopped at `maxBytes`. */
  readonly truncated: boolean;
}

/** Fetches `url`, following redirects; only an abort or a network failure rejects. */
export async function openSitemap(
  url: string,
  options: OpenSitemapOptions,
): Promise<OpenedSitemap> {
  const { fetcher, headers, signal } = options;
  let current = url;
  for (let hop = 0;; hop++) {
    const res = await fetcher(current, { headers, signal });
    const location = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && location !== null && res.status !== 304) {
      await res.body?.cancel().catch(() => {});
      const next = normalizeUrl(location, current);
      if (next === null) {
        throw new SitemapError(
          "invalid_url",
          `Redirect from ${current} to invalid location ${location}`,
        );
      }
      if (hop >= options.maxRedirects) {
        throw new SitemapError(
          "too_many_redirects",
          `More than ${options.maxRedirects} redirects, last to ${next}`,
        );
      }
      current = next;
      continue;
    }
    const ok = res.status >= 200 && res.status < 300;
    if (!ok) await res.body?.cancel().catch(() => {});
    const state = { bytes: 0, truncated: false };
    return {
      finalUrl: current,
      status: res.status,
      text: ok && res.body ? decodeUtf8(cappedBytes(res.body, options.maxBytes, state)) : empty(),
      get bytes() {
        return state.bytes;
      },
      get truncated() {
        return state.truncated;
      },
    };
  }
}

async function* empty(): AsyncGenerator<string> {}

function isGzip(b: Uint8Array): boolean {
  return b.byteLength >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/**
 * Yields the body's bytes, gunzipped when they start with gzip's magic
 * number, up to `maxBytes` decoded bytes; then stops (and cancels the body)
 * with `state.truncated` set.
 */
async function* cappedBytes(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  state: { bytes: number; truncated: boolean },
): AsyncGenerator<Uint8Array> {
  const raw = body.getReader();
  let first = await raw.read();
  while (!first.done && first.value.byteLength < 2) {
    // a first chunk of one byte cannot show the magic number: join it to the next
    const more = await raw.read();
    if (more.done) break;
    const joined = new Uint8Array(first.value.byteLength + more.value.byteLength);
    joined.set(first.value);
    joined.set(more.value, first.value.byteLength);
    first = { done: false, value: joined };
  }
  if (first.done) {
    raw.releaseLock();
    return;
  }
  let reader: ReadableStreamDefaultReader<Uint8Array> = raw;
  let head: Uint8Array | null = first.value;
  const gzip = isGzip(head);
  if (gzip) {
    const h = head;
    head = null;
    let sentHead = false;
    const source = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (!sentHead) {
          sentHead = true;
          c.enqueue(h);
          return;
        }
        const r = await raw.read();
        if (r.done) c.close();
        else c.enqueue(r.value);
      },
      cancel: (why) => raw.cancel(why),
    }, { highWaterMark: 0 });
    reader = source.pipeThrough(
      new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
    ).getReader();
  }
  try {
    for (;;) {
      let value: Uint8Array;
      if (head !== null) {
        value = head;
        head = null;
      } else {
        let r: ReadableStreamReadResult<Uint8Array>;
        try {
          r = await reader.read();
        } catch (e) {
          if (gzip && e instanceof TypeError) {
            throw new SitemapError("sitemap_invalid", `Corrupt gzip data: ${e.message}`, {
              cause: e,
            });
          }
          throw e;
        }
        if (r.done) return;
        value = r.value;
      }
      const room = maxBytes - state.bytes;
      if (value.byteLength > room) {
        state.bytes += room;
        state.truncated = true;
        if (room > 0) yield value.subarray(0, room);
        return;
      }
      state.bytes += value.byteLength;
      yield value;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

async function* decodeUtf8(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder("utf-8");
  for await (const c of chunks) {
    const s = decoder.decode(c, { stream: true });
    if (s) yield s;
  }
  const tail = decoder.decode();
  if (tail) yield tail;
}
