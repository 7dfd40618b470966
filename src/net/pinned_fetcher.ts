/**
 * A {@linkcode Fetcher} that refuses to connect to internal addresses (SSRF
 * guard) and pins each connection to the address it checked.
 *
 * Deno's `fetch` cannot be told which address to connect to, so a check made
 * before calling it could be undone by DNS rebinding (the name resolving to a
 * public address for the check and to `127.0.0.1` for the connection). This
 * fetcher resolves the host itself, checks every resolved address with
 * {@linkcode checkAddresses} and refuses the host if any one is blocked, then
 * makes the request with {@linkcode HttpClient}, which connects to exactly
 * one of those checked addresses. IP-literal hosts are checked directly,
 * without DNS.
 *
 * Connections are pooled per fetcher (keep-alive, per host name, address and
 * port); call `close()` or use `await using` to close them. The body is
 * decoded (gzip, deflate, br) as the consumer reads it, so a decompression
 * bomb costs only what is read. HTTP/1.1, and HTTP/2 when a TLS server
 * chooses it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createPinnedFetcher } from "./pinned_fetcher.ts";
 * await using fetcher = createPinnedFetcher({ allowNets: [], allowedPorts: null });
 * const init = { headers: new Headers(), signal: new AbortController().signal };
 * await assert.rejects(fetcher("http://127.0.0.1/", init), { code: "blocked_address" });
 * ```
 * @module
 */

import type { AddressPolicy } from "./address_policy.ts";
import { type UrlTarget, urlTarget } from "./url_target.ts";
import type { FetcherInit, PreconnectInit, Preconnector } from "./fetcher.ts";
import { cachedResolver } from "./cached_resolver.ts";
import { type ResolvedAddress, type Resolver, systemResolver } from "./resolver.ts";
import { NetError } from "./net_error.ts";
import { abortable } from "../async/abortable.ts";
import { ConnectError, type Dialer, HttpClient } from "./http_client.ts";
import { contentCodings } from "./content_codings.ts";

/** Options of {@linkcode createPinnedFetcher}. */
export interface PinnedFetcherOptions {
  /**
   * How hostnames are resolved; every address it returns is checked, and only
   * those are connected to.
   * @default {cachedResolver(systemResolver)} (`getaddrinfo` through `node:dns`, honours
   * /etc/hosts; answers reused for 30 s)
   */
  /** How host names are resolved. @default the system resolver, cached 30 s */
  resolve?: Resolver;
  /**
   * Extra trusted CA certificates (PEM) for HTTPS, replacing the default roots.
   * @default {undefined} the system's roots
   */
  ca?: string | string[];
  /**
   * Idle connections kept per host and port for reuse (a crawl with
   * `perHost` N reuses up to N).
   * @default {256}
   */
  maxIdlePerHost?: number;
  /**
   * The `accept-encoding` sent when the caller's headers have none.
   * @default {"gzip, deflate, br"}
   */
  acceptEncoding?: string;
  /**
   * Deadline for opening a connection when the request's `connectTimeoutMs`
   * gives none, in ms.
   * @default {10000}
   */
  connectTimeoutMs?: number;
  /**
   * Opens TCP connections to the checked address (tests inject one).
   * @default {Deno.connect}
   */
  /** How connections are opened (tests inject one). @default Deno.connect */
  dial?: Dialer;
}

/** A {@linkcode Fetcher} that owns a connection pool, closed by `close()`. */
export interface PinnedFetcher extends Preconnector {
  (url: string, init: FetcherInit): Promise<Response>;
  /** Destroys every pooled socket; requests in flight fail. */
  close(): void;
  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Creates a fetcher that applies `policy` to the address of every connection;
 * `null` lets every address and port through (the guard off), without
 * loading the policy's code at all.
 *
 * Refusals reject with a {@linkcode NetError}: `blocked_scheme` (not http or
 * https), `blocked_port`, `blocked_address` (the message names the host, the
 * address and the reason) or `dns`. So do a failed TLS handshake (`tls`, at
 * once: a refused certificate is refused at every address) and a connection
 * not opened within `connectTimeoutMs` at any address (`connect_timeout`).
 * Any other connection failure rejects with a `TypeError` whose `cause` is
 * the socket error, as `fetch` does; an abort rejects with `signal.reason`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createPinnedFetcher } from "./pinned_fetcher.ts";
 * import { parseAllowNets } from "./address_policy.ts";
 * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
 *   new Response("hi"));
 * await using fetcher = createPinnedFetcher({
 *   allowNets: parseAllowNets("127.0.0.1/32"),
 *   allowedPorts: null,
 * });
 * const init = { headers: new Headers(), signal: new AbortController().signal };
 * const res = await fetcher(`http://127.0.0.1:${server.addr.port}/`, init);
 * assert.equal(await res.text(), "hi");
 * ```
 */
export function createPinnedFetcher(
  policy: AddressPolicy | null,
  options: PinnedFetcherOptions = {},
): PinnedFetcher {
  // The policy's checks load with a policy only: ipaddr.js (and with it the npm loader)
  // cost 25-35 ms of start-up, which the guard off (`null`, the CLI's default) never needs.
  let checks: typeof import("./address_policy.ts") | null = null;
  const loadingChecks = policy === null
    ? null
    : import("./address_policy.ts").then((m) => checks = m);
  loadingChecks?.catch(() => {}); // a failure to load shows at the first request
  const resolve = options.resolve ?? cachedResolver(systemResolver);
  const acceptEncoding = options.acceptEncoding ?? "gzip, deflate, br";
  const client = new HttpClient({
    maxIdlePerHost: options.maxIdlePerHost,
    caCerts: options.ca === undefined ? undefined : [options.ca].flat(),
    connectTimeoutMs: options.connectTimeoutMs,
    dial: options.dial,
  });

  // What checkUrlTarget accepted, by scheme, host and port: the policy is fixed, so
  // the verdict is too, and a crawl asks about the same origin thousands of times.
  const accepted = new Map<string, UrlTarget>();
  /** The target of `url` under the policy; the checks must be loaded (`ready()`). */
  function checkTarget(url: URL): UrlTarget {
    const key = url.protocol + url.host;
    let target = accepted.get(key);
    if (target === undefined) {
      target = policy === null ? urlTarget(url) : checks!.checkUrlTarget(url, policy);
      if (accepted.size >= 4096) accepted.clear();
      accepted.set(key, target);
    }
    return target;
  }

  /** Resolves once the policy's checks are loaded (at once when they are or no policy). */
  function ready(): Promise<unknown> | null {
    return checks === null && loadingChecks !== null ? loadingChecks : null;
  }

  /**
   * The addresses of a host name that needs DNS, each checked against the
   * policy (the checks must be loaded): a request and a pre-connect to the
   * same host connect only where this lets them.
   */
  async function resolveChecked(hostname: string, signal: AbortSignal): Promise<string[]> {
    const addresses = await resolveHost(resolve, hostname, signal);
    if (policy !== null) checks!.checkAddresses(hostname, addresses, policy);
    return addresses;
  }

  /** Loads the body decoders while the first answer is awaited; cleared by `close()`. */
  let preloadTimer: ReturnType<typeof setTimeout> | undefined;

  async function pinnedFetcher(url: string, init: FetcherInit): Promise<Response> {
    const { signal } = init;
    signal.throwIfAborted();
    if (decoders === null && preloadTimer === undefined) {
      preloadTimer = setTimeout(() => loadDecoders().catch(() => {}), PRELOAD_DECODERS_MS);
    }
    const parsed = new URL(url);
    const loading = ready();
    if (loading !== null) await loading;
    const target = checkTarget(parsed);
    const addresses = target.addresses ?? await resolveChecked(target.hostname, signal);
    signal.throwIfAborted();
    const req = {
      path: parsed.pathname + parsed.search,
      headers: requestHeaders(init.headers),
      signal,
      connectTimeoutMs: init.connectTimeoutMs,
      onBodyEnd: init.onBodyEnd,
    };
    // Only checked addresses are ever connected to; the next one is tried when one refuses.
    for (let i = 0;; i++) {
      const at = { ...target, address: addresses[i] };
      try {
        const res = await client.request(at, req);
        const codings = contentCodings(res.headers.get("content-encoding"));
        return codings === null || res.body === null
          ? res
          : await decodedResponse(res, codings, signal);
      } catch (e) {
        if (!(e instanceof ConnectError) || signal.aborted) throw e;
        // A certificate is refused the same way at every address: no point trying the next.
        if (e.code === "tls") throw new NetError("tls", e.message, { cause: e });
        if (i + 1 < addresses.length) continue;
        if (e.code === "connect_timeout") {
          throw new NetError("connect_timeout", e.message, { cause: e });
        }
        throw e;
      }
    }
  }

  // The caller's headers as a record, made once per Headers object (a crawl uses one).
  const records = new WeakMap<Headers, Record<string, string>>();
  function requestHeaders(headers: Headers): Record<string, string> {
    let out = records.get(headers);
    if (out === undefined) {
      out = {};
      for (const [name, value] of headers) out[name] = value;
      delete out.host;
      out["accept-encoding"] ??= acceptEncoding;
      records.set(headers, out);
    }
    return out;
  }

  /**
   * Opens idle connections to the origin of `url` ahead of requests: the
   * same check (scheme, port, every resolved address) and the same address
   * as its first request would get; nothing when the check refuses.
   */
  async function preconnect(url: string, count: number, init: PreconnectInit): Promise<number> {
    const { signal } = init;
    try {
      await ready();
      const target = checkTarget(new URL(url));
      const addresses = target.addresses ?? await resolveChecked(target.hostname, signal);
      return await client.preconnect({ ...target, address: addresses[0] }, count, {
        signal,
        connectTimeoutMs: init.connectTimeoutMs,
      });
    } catch {
      return 0; // refused or unresolvable: its requests will say why
    }
  }

  function close(): void {
    clearTimeout(preloadTimer);
    client.close();
  }

  return Object.assign(pinnedFetcher, {
    preconnect,
    close,
    [Symbol.asyncDispose]: () => {
      close();
      return Promise.resolve();
    },
  });
}

async function resolveHost(
  resolve: Resolver,
  hostname: string,
  signal: AbortSignal,
): Promise<string[]> {
  let addresses: ResolvedAddress[];
  try {
    addresses = await abortable(resolve(hostname, signal), signal);
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    const code = (err as { code?: unknown })?.code ?? String(err);
    throw new NetError("dns", `DNS lookup of ${hostname} failed (${code})`, { cause: err });
  }
  if (addresses.length === 0) {
    throw new NetError("dns", `DNS lookup of ${hostname} returned no address`);
  }
  return addresses.map((a) => a.address);
}

/**
 * The body decoders (`node:stream` and `node:zlib`: about 20 ms of start-up),
 * loaded 10 ms after a fetcher's first request (or by the first compressed answer).
 */
let decoders: Promise<typeof import("./decode_body.ts")> | null = null;

function loadDecoders(): Promise<typeof import("./decode_body.ts")> {
  return decoders ??= import("./decode_body.ts");
}

/**
 * When the body decoders start loading after a fetcher's first request, in
 * ms: once the request is written, while its answer is awaited (most sites
 * compress their pages), as a crawl loads its page parsers.
 */
const PRELOAD_DECODERS_MS = 10;

/** `res` with its body decoded: it has content codings this fetcher can undo. */
async function decodedResponse(
  res: Response,
  codings: string[],
  signal: AbortSignal,
): Promise<Response> {
  const { decodeBody } = await loadDecoders();
  const headers = new Headers(res.headers);
  headers.delete("content-encoding");
  headers.delete("content-length");
  const init = { status: res.status, statusText: res.statusText, headers };
  return new Response(decodeBody(res.body!, codings, signal), init);
}
