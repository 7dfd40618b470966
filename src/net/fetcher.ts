/**
 * The one seam between the crawl engine and the network.
 *
 * A {@linkcode Fetcher} performs exactly one HTTP request: it never follows
 * redirects (3xx responses come back as they are, with their `location`
 * header) and the body it returns is already decoded (gzip, deflate and
 * brotli removed), so callers count decoded bytes as they read. A fetcher
 * that received a body whole before returning its response may record the
 * bytes for the caller to take without reading the stream (see
 * `whole_body.ts`; skein's own HTTP/1.1 client does).
 *
 * @example
 * ```ts
 * import { defaultFetcher } from "./fetcher.ts";
 * const ac = new AbortController();
 * ac.abort();
 * await defaultFetcher("http://127.0.0.1:9/", { headers: new Headers(), signal: ac.signal })
 *   .catch((e) => e.name); // "AbortError"
 * ```
 * @module
 */
import { NetError } from "./net_error.ts";

/** What a {@linkcode Fetcher} is given besides the URL. */
export interface FetcherInit {
  /** The request headers. Read them, never change them: one object serves many requests. */
  headers: Headers;
  /** Aborts the request, body included. */
  signal: AbortSignal;
  /**
   * Deadline for opening a connection, in ms, within the signal's own
   * deadline. Fetchers that cannot tell connecting apart (Deno's `fetch`)
   * ignore it.
   */
  connectTimeoutMs?: number;
  /**
   * Called synchronously, at most once, when the response body has been
   * received to its end, with the response's status and the body's length
   * in bytes as received (before any content decoding): before the consumer
   * has read the body, and often before the response is even returned. A
   * crawler uses it to send its next request before it parses this answer,
   * while the bytes waiting for its parser stay within a budget.
   * A fetcher that cannot tell (Deno's `fetch`) never calls it; nor is it
   * called for a body that fails, is cancelled or has no end yet. (`bytes`
   * may be left out by a fetcher that cannot count them.)
   */
  onBodyEnd?: (status: number, bytes?: number) => void;
}

/** Performs one GET without following redirects; see the module doc. */
export type Fetcher = (url: string, init: FetcherInit) => Promise<Response>;

/** What {@linkcode Preconnector.preconnect} is given besides the URL and the count. */
export interface PreconnectInit {
  /** Stops opening connections; also closes those opened that no request has used. */
  signal: AbortSignal;
  /** Deadline for opening each connection, in ms. */
  connectTimeoutMs?: number;
}

/**
 * A fetcher that can open connections ahead of its requests (skein's own
 * client can; Deno's `fetch` cannot). A crawl calls it while it waits for
 * its seeds' answers, so the links found in them need not connect first.
 */
export interface Preconnector {
  /**
   * Opens up to `count` idle keep-alive connections to the origin of `url`
   * under the same rules as a request to it (the SSRF guard included), and
   * resolves with how many it opened; never rejects.
   */
  preconnect(url: string, count: number, init: PreconnectInit): Promise<number>;
}

/** The fetcher's {@linkcode Preconnector.preconnect}, bound, if it has one. */
export function preconnectOf(fetcher: Fetcher): Preconnector["preconnect"] | null {
  const pre = (fetcher as Fetcher & Partial<Preconnector>).preconnect;
  return typeof pre === "function" ? pre.bind(fetcher) : null;
}

/**
 * The fetcher used when none is given: Deno's `fetch` with manual redirects.
 * A refused certificate rejects with a {@linkcode NetError} `tls`, as skein's
 * own client does; other failures are `fetch`'s own `TypeError`.
 */
export function defaultFetcher(url: string, init: FetcherInit): Promise<Response> {
  return fetch(url, { headers: init.headers, signal: init.signal, redirect: "manual" })
    .catch(rethrowTls);
}

/** `fetch` says "invalid peer certificate: UnknownIssuer" (rustls) in the cause's message. */
function rethrowTls(e: unknown): never {
  const cause = (e as { cause?: unknown })?.cause;
  const text = cause instanceof Error ? cause.message : "";
  if (e instanceof TypeError && /invalid peer certificate|certificate/i.test(text)) {
    const detail = text.slice(text.lastIndexOf(": ", text.indexOf("certificate")) + 2);
    throw new NetError("tls", `TLS handshake failed: ${detail}`, { cause: e });
  }
  throw e;
}
