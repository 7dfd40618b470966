/**
 * A {@linkcode Fetcher} that refuses to connect to internal addresses (SSRF
 * guard) and pins each connection to the address it checked.
 *
 * Deno's `fetch` cannot be told which address to connect to, so a check made
 * before calling it could be undone by DNS rebinding (the name resolving to a
 * public address for the check and to `127.0.0.1` for the connection). This
 * fetcher resolves the host itself, checks every resolved address with
 * {@linkcode checkAddresses} and refuses the host if any one is blocked, then
 * makes the request with `node:http`/`node:https` and a `lookup` function that
 * can only answer with those checked addresses. IP-literal hosts are checked
 * directly, without DNS.
 *
 * Connections are pooled per fetcher (keep-alive agents); call `close()` or
 * use `await using` to destroy the pooled sockets. The body is decoded (gzip,
 * deflate, br) as the consumer reads it, so a decompression bomb costs only
 * what is read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createGuardedFetcher } from "./guarded_fetcher.ts";
 * await using fetcher = createGuardedFetcher({ allowNets: [], allowedPorts: null });
 * const init = { headers: new Headers(), signal: new AbortController().signal };
 * await assert.rejects(fetcher("http://127.0.0.1/", init), { code: "blocked_address" });
 * ```
 * @module
 */

import http from "node:http";
import https from "node:https";
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { finished, pipeline, type Readable } from "node:stream";
import zlib from "node:zlib";
import {
  type AddressPolicy,
  checkAddresses,
  checkUrlTarget,
  type UrlTarget,
} from "./address_policy.ts";
import type { FetcherInit } from "./fetcher.ts";
import { cachedResolver } from "./cached_resolver.ts";
import { NetError } from "./net_error.ts";
import { onAbort } from "../async/on_abort.ts";

/** One address a host resolved to. */
export interface ResolvedAddress {
  /** The address, e.g. `93.184.215.14` or `2606:4700::1111`. */
  address: string;
  /** `4` or `6`. */
  family: 4 | 6;
}

/**
 * Resolves a hostname to all its addresses; rejects with an error carrying a
 * `code` such as `ENOTFOUND` when it cannot.
 */
export type Resolver = (hostname: string, signal: AbortSignal) => Promise<ResolvedAddress[]>;

/** Options of {@linkcode createGuardedFetcher}. */
export interface GuardedFetcherOptions {
  /**
   * How hostnames are resolved; every address it returns is checked, and only
   * those are connected to.
   * @default {cachedResolver(systemResolver)} (`getaddrinfo` through `node:dns`, honours
   * /etc/hosts; answers reused for 30 s)
   */
  resolve?: Resolver;
  /**
   * Extra trusted CA certificates (PEM) for HTTPS, replacing the default roots.
   * @default {undefined} the system's roots
   */
  ca?: string | string[];
  /**
   * Most sockets open at once to one host and port.
   * @default {Infinity}
   */
  maxSocketsPerHost?: number;
  /**
   * Most idle sockets kept per host and port for reuse.
   * @default {64}
   */
  maxFreeSockets?: number;
  /**
   * The `accept-encoding` sent when the caller's headers have none.
   * @default {"gzip, deflate, br"}
   */
  acceptEncoding?: string;
}

/** A {@linkcode Fetcher} that owns a connection pool, closed by `close()`. */
export interface GuardedFetcher {
  (url: string, init: FetcherInit): Promise<Response>;
  /** Destroys every pooled socket; requests in flight fail. */
  close(): void;
  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Resolves with the system resolver (`getaddrinfo`, so /etc/hosts counts).
 * The lookup itself cannot be cancelled; an abort rejects at once.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { systemResolver } from "./guarded_fetcher.ts";
 * const addresses = await systemResolver("localhost", new AbortController().signal);
 * assert.ok(addresses.some((a) => a.address === "127.0.0.1" || a.address === "::1"));
 * ```
 */
export function systemResolver(hostname: string, signal: AbortSignal): Promise<ResolvedAddress[]> {
  const lookup = new Promise<ResolvedAddress[]>((resolve, reject) => {
    dnsLookup(hostname, { all: true }, (err, addresses: LookupAddress[]) => {
      if (err) reject(err);
      else resolve(addresses.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 })));
    });
  });
  return abortable(lookup, signal);
}

/**
 * Creates a fetcher that applies `policy` to the address of every connection.
 *
 * Refusals reject with a {@linkcode NetError}: `blocked_scheme` (not http or
 * https), `blocked_port`, `blocked_address` (the message names the host, the
 * address and the reason) or `dns`. A connection failure rejects with a
 * `TypeError` whose `cause` is the socket error, as `fetch` does; an abort
 * rejects with `signal.reason`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createGuardedFetcher } from "./guarded_fetcher.ts";
 * import { parseAllowNets } from "./address_policy.ts";
 * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
 *   new Response("hi"));
 * await using fetcher = createGuardedFetcher({
 *   allowNets: parseAllowNets("127.0.0.1/32"),
 *   allowedPorts: null,
 * });
 * const init = { headers: new Headers(), signal: new AbortController().signal };
 * const res = await fetcher(`http://127.0.0.1:${server.addr.port}/`, init);
 * assert.equal(await res.text(), "hi");
 * ```
 */
export function createGuardedFetcher(
  policy: AddressPolicy,
  options: GuardedFetcherOptions = {},
): GuardedFetcher {
  const resolve = options.resolve ?? cachedResolver(systemResolver);
  const acceptEncoding = options.acceptEncoding ?? "gzip, deflate, br";
  const agentOptions = {
    keepAlive: true,
    maxSockets: options.maxSocketsPerHost ?? Infinity,
    maxFreeSockets: options.maxFreeSockets ?? 64,
    scheduling: "lifo" as const,
  };
  const httpAgent = new http.Agent(agentOptions);
  const httpsAgent = new https.Agent({ ...agentOptions, ca: options.ca });

  async function guardedFetcher(url: string, init: FetcherInit): Promise<Response> {
    const { signal } = init;
    signal.throwIfAborted();
    const parsed = new URL(url);
    const target = checkUrlTarget(parsed, policy);
    let addresses: ResolvedAddress[];
    if (target.addresses !== null) {
      addresses = target.addresses.map((address) => ({
        address,
        family: address.includes(":") ? 6 : 4,
      }));
    } else {
      addresses = await resolveHost(resolve, target.hostname, signal);
      checkAddresses(target.hostname, addresses.map((a) => a.address), policy);
    }
    signal.throwIfAborted();
    const agent = target.protocol === "https:" ? httpsAgent : httpAgent;
    return await request(parsed, target, addresses, agent, requestHeaders(init.headers), signal);
  }

  function requestHeaders(headers: Headers): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, value] of headers) out[name] = value;
    delete out.host;
    out["accept-encoding"] ??= acceptEncoding;
    return out;
  }

  function close(): void {
    httpAgent.destroy();
    httpsAgent.destroy();
  }

  return Object.assign(guardedFetcher, {
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
): Promise<ResolvedAddress[]> {
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
  // The family is derived from the address that is checked, never taken on trust.
  return addresses.map(({ address }) => ({ address, family: address.includes(":") ? 6 : 4 }));
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** A `lookup` for node's `net.connect` that only answers with `addresses`. */
function pinnedLookup(addresses: ResolvedAddress[]) {
  return function lookup(
    _hostname: string,
    options: { family?: number | string; all?: boolean } | number | LookupCallback,
    callback?: LookupCallback,
  ): void {
    const cb = (typeof options === "function" ? options : callback) as LookupCallback;
    const opts = typeof options === "object" ? options : {};
    const want = typeof options === "number" ? options : Number(opts.family ?? 0);
    const list = want === 4 || want === 6 ? addresses.filter((a) => a.family === want) : addresses;
    if (list.length === 0) {
      const err: NodeJS.ErrnoException = new Error("No checked address of that family");
      err.code = "ENOTFOUND";
      cb(err, "");
    } else if (opts.all) {
      cb(null, list.map((a) => ({ address: a.address, family: a.family })));
    } else {
      cb(null, list[0].address, list[0].family);
    }
  };
}

function request(
  url: URL,
  target: UrlTarget,
  addresses: ResolvedAddress[],
  agent: http.Agent,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<Response> {
  const { promise, resolve, reject } = Promise.withResolvers<Response>();
  const send = target.protocol === "https:" ? https.request : http.request;
  const req = send({
    protocol: target.protocol,
    host: target.hostname,
    port: target.port,
    path: url.pathname + url.search,
    method: "GET",
    headers: { ...headers, host: url.host },
    agent,
    lookup: pinnedLookup(addresses) as unknown as http.RequestOptions["lookup"],
  });
  let settled = false;
  const offAbort = onAbort(signal, (reason) => {
    if (settled) return;
    settled = true;
    req.destroy();
    reject(reason);
  });
  req.on("error", (err: NodeJS.ErrnoException) => {
    if (settled) return;
    settled = true;
    offAbort();
    if (err.code === "ENOTFOUND") {
      reject(new NetError("dns", `No usable address for ${target.hostname}`, { cause: err }));
    } else {
      reject(new TypeError(`Request to ${url.href} failed: ${err.message}`, { cause: err }));
    }
  });
  req.on("response", (res: http.IncomingMessage) => {
    offAbort();
    if (settled) {
      res.destroy();
      return;
    }
    settled = true;
    try {
      resolve(toResponse(res, signal));
    } catch (err) {
      res.destroy();
      reject(err);
    }
  });
  req.end();
  return promise;
}

/** Statuses whose `Response` must have a null body. */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

function toResponse(res: http.IncomingMessage, signal: AbortSignal): Response {
  const status = res.statusCode ?? 0;
  if (status < 200 || status > 599) {
    throw new TypeError(`Invalid response status ${status}`);
  }
  const headers = new Headers();
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      headers.append(raw[i], raw[i + 1]);
    } catch {
      // A header Headers rejects (invalid name or value) is dropped, as fetch does.
    }
  }
  const init = { status, statusText: "", headers };
  if (NULL_BODY_STATUSES.has(status)) {
    res.resume();
    return withStatusText(null, init, res.statusMessage);
  }
  const encodings = contentEncodings(headers.get("content-encoding"));
  if (encodings !== null) {
    headers.delete("content-encoding");
    headers.delete("content-length");
  }
  return withStatusText(bodyStream(res, encodings, signal), init, res.statusMessage);
}

function withStatusText(
  body: ReadableStream<Uint8Array> | null,
  init: ResponseInit,
  statusText: string | undefined,
): Response {
  try {
    return new Response(body, { ...init, statusText: statusText ?? "" });
  } catch {
    return new Response(body, init);
  }
}

/**
 * The codings to undo, in the order to undo them, or `null` when the body is
 * to be passed on as it is (no coding, or one this fetcher cannot undo).
 */
function contentEncodings(header: string | null): string[] | null {
  if (header === null) return null;
  const codings = header.split(",").map((c) => c.trim().toLowerCase())
    .filter((c) => c !== "" && c !== "identity");
  if (codings.length === 0) return null;
  const known = ["gzip", "x-gzip", "deflate", "br"];
  return codings.every((c) => known.includes(c)) ? codings.reverse() : null;
}

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
 * The response body as a web stream, decoded as it is pulled: the source is
 * paused whenever a chunk waits unread, so nothing is read from the socket
 * beyond what node's stream buffers hold (about 16 KiB per stage) and a
 * decompression bomb costs what the consumer reads. Chunks are pushed from
 * "data" events rather than pulled through an async iterator, which costs
 * several promises per chunk.
 */
function bodyStream(
  res: http.IncomingMessage,
  codings: string[] | null,
  signal: AbortSignal,
): ReadableStream<Uint8Array> {
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

  const attach = (s: Readable) => {
    source = s;
    s.on("data", (chunk: Uint8Array) => {
      if (settled) return;
      controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      if ((controller.desiredSize ?? 0) <= 0) s.pause();
    });
    finished(s, (err) => {
      if (settled) return;
      if (err) return fail(err);
      settle();
      controller.close();
    });
  };

  const decode = (head: Uint8Array | null) => {
    if (settled) return;
    if (head === null || codings === null) return attach(res);
    let last: Readable = res;
    codings.forEach((coding, i) => {
      const decoder = decoderFor(coding, i === 0 ? head : null);
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
      if (codings === null) attach(res);
      else firstChunk(res).then(decode, fail);
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
function firstChunk(res: http.IncomingMessage): Promise<Uint8Array | null> {
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

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  const { promise: aborted, reject } = Promise.withResolvers<never>();
  const off = onAbort(signal, reject);
  return Promise.race([promise, aborted]).finally(off);
}
