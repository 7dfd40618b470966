/**
 * A small HTTP client over `Deno.connect` (and `Deno.startTls` for HTTPS):
 * HTTP/1.1 with a keep-alive pool, and HTTP/2 when a TLS server picks `h2`
 * by ALPN (see {@linkcode Http2Sessions}: one multiplexed session per
 * origin and address, on the connection this client opened). It connects to the exact address it is
 * given, which is what lets {@linkcode createPinnedFetcher} pin every
 * connection to an address it has checked, and it costs a fraction of the
 * CPU of `node:http` per request: a crawler's main thread spends most of its
 * time in its HTTP client (see bench/RESULTS.md).
 *
 * HTTP/1.1: one request per connection at a time (no pipelining). GET only; bodies are
 * returned as they are sent (content codings are left to the caller), read
 * from the socket only as the consumer pulls. A body cancelled with at most
 * 64 KiB left (or chunked) is read to its end in the background and its
 * connection kept; a larger rest closes the connection. A pooled connection the server
 * has closed meanwhile is detected on reuse, and the request is retried once
 * on a new one (safe: GET is idempotent).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HttpClient } from "./http_client.ts";
 * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
 *   new Response("hi"));
 * await using client = new HttpClient();
 * const res = await client.request(
 *   { protocol: "http:", hostname: "127.0.0.1", port: server.addr.port, address: "127.0.0.1" },
 *   { path: "/", headers: {}, signal: new AbortController().signal },
 * );
 * assert.equal(await res.text(), "hi");
 * ```
 * @module
 */
import { onAbort } from "../async/on_abort.ts";
import type { Http2Sessions } from "./http2_sessions.ts";
import { abortable } from "../async/abortable.ts";
import { trace } from "../trace/dispatch_trace.ts";
import { recordWholeBody } from "./whole_body.ts";
import {
  bodyFraming,
  ChunkedDecoder,
  findHeadEnd,
  Http1Error,
  keepsAlive,
  looksLikeHttp2,
  parseResponseHead,
  type ResponseHead,
} from "./http1_parse.ts";

/** Where to connect, already resolved (and checked, when a guard is in front). */
export interface HttpTarget {
  protocol: "http:" | "https:";
  /** The URL's host name: the `Host` header, TLS server name and certificate name. */
  hostname: string;
  port: number;
  /** The IP address to connect to. */
  address: string;
}

/** One request. */
export interface HttpRequest {
  /** Path and query, e.g. `/a?b=1`. */
  path: string;
  /**
   * Request headers, names in lower case; `host` is added when missing. The
   * same object may serve many requests (its lines are encoded once), so it
   * must not change after its first use.
   */
  headers: Record<string, string>;
  signal: AbortSignal;
  /**
   * Deadline for opening a new connection (TCP connect and TLS handshake),
   * in ms; `signal` still bounds it too.
   * @default {the client's connectTimeoutMs}
   */
  connectTimeoutMs?: number;
  /**
   * Called synchronously, once, with the status and the body's length in
   * bytes when the body has been read from the socket to its end (over
   * HTTP/1.1 the connection is back in the pool by then): see
   * `FetcherInit.onBodyEnd`. Not called when the body fails or is cancelled.
   * A body that came whole with the head ends (and this is called) before
   * `request()` resolves.
   * @default {undefined}
   */
  onBodyEnd?: (status: number, bytes: number) => void;
}

/** Options of {@linkcode HttpClient.preconnect}. */
export interface PreconnectOptions {
  /**
   * Aborting it stops opening connections and closes those opened that no
   * request has used yet (a crawl aborts it when it ends).
   */
  signal: AbortSignal;
  /**
   * Deadline for opening each connection, in ms.
   * @default {the client's connectTimeoutMs}
   */
  connectTimeoutMs?: number;
}

/**
 * Connections {@linkcode HttpClient.preconnect} opens at once: enough to
 * keep the loopback's connects busy, few enough that an answer that comes
 * in meanwhile is read between them (each `Deno.connect` costs 0.1-0.3 ms of
 * the thread).
 */
const PRECONNECT_PARALLEL = 32;

/**
 * The pool a target's connections wait in: scheme, host name (TLS's SNI),
 * the exact address and the port. Requests and pre-opened connections must
 * agree on it, or a request would never find the connections opened for it.
 */
function poolKey(target: HttpTarget): string {
  return `${target.protocol}//${target.hostname}|${target.address}|${target.port}`;
}

/** Opens a TCP connection; {@linkcode HttpClientOptions.dial}. */
export type Dialer = (options: Deno.ConnectOptions) => Promise<Deno.TcpConn>;

/** Options of {@linkcode HttpClient}. */
export interface HttpClientOptions {
  /**
   * Idle connections kept per host, port and address for reuse.
   * @default {256}
   */
  maxIdlePerHost?: number;
  /**
   * An idle connection is closed after this long, in ms.
   * @default {15000}
   */
  idleTimeoutMs?: number;
  /**
   * Trusted CA certificates (PEM) for HTTPS, replacing the system's roots.
   * @default {undefined}
   */
  caCerts?: string[];
  /**
   * Largest response head (status line and headers) read.
   * @default {65536}
   */
  maxHeadBytes?: number;
  /**
   * Deadline for opening a connection when the request gives none, in ms.
   * @default {10000}
   */
  connectTimeoutMs?: number;
  /**
   * Opens TCP connections (tests inject one that never answers).
   * @default {Deno.connect}
   */
  dial?: Dialer;
  /**
   * Offer `h2` by ALPN over TLS and speak HTTP/2 when the server chooses it.
   * @default {true}
   */
  http2?: boolean;
}

/** The pooled connection of a request, and whether it came from the pool. */
interface Lease {
  conn: Deno.Conn;
  reused: boolean;
}

interface Idle {
  conn: Deno.Conn;
  /** `performance.now()` when it went idle. */
  since: number;
}

/**
 * Why a connection could not be opened: `connect` (refused, unreachable,
 * reset), `connect_timeout` (the connect deadline passed) or `tls` (the TLS
 * handshake failed: a certificate refused, no common protocol version).
 */
export type ConnectErrorCode = "connect" | "connect_timeout" | "tls";

/** A connection that could not be opened; `code` says why. */
export class ConnectError extends TypeError {
  /** Stable code. */
  readonly code: ConnectErrorCode;
  constructor(code: ConnectErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConnectError";
    this.code = code;
  }
}

/** Thrown inside when a reused connection turns out closed before any response byte. */
class StaleConnection extends Error {}

/**
 * First read of a response: most heads, and small pages whole, fit. Each
 * connection keeps its own buffer for it, and the body bytes that came with
 * the head are copied out: a buffer made per request lives from the
 * request's write to its answer, long enough in a busy crawl to be promoted
 * to V8's old generation with every request, and then waits for a full
 * collection. The buffer starts at this size and grows, up to
 * {@linkcode FIRST_READ_MAX}, to fit the connection's answers.
 */
const HEAD_READ = 8 * 1024;
/**
 * Largest first read a connection grows to when its answers (head and
 * Content-Length body) did not fit: a site of 20 KB pages then comes in one
 * read per page instead of two, and each page is parsed as soon as it is in,
 * not across a second read while other pages are parsed. Static peer
 * benchmark (20 KB pages, concurrency 64, 7 interleaved runs under load):
 * peak RSS 117 → 105 MB, 2,875 → 3,125 pages/s. It costs up to 32 KiB per
 * open connection that has seen such answers.
 */
const FIRST_READ_MAX = 32 * 1024;
/** Later reads of a body. */
const READ_SIZE = 32 * 1024;
/**
 * Most bytes of an unread body read and dropped to keep its connection (a new
 * connection costs a round trip, over HTTPS a handshake more). The bodies a
 * crawler leaves unread are mostly small redirect and error pages; a large
 * unread rest costs more to read than a new connection does.
 */
const DRAIN_BYTES = 64 * 1024;
/** Longest a drain may take before the connection is closed instead. */
const DRAIN_MS = 2000;
const encoder = new TextEncoder();
const H2C_MESSAGE = "The server answered in HTTP/2 frames, not HTTP/1.x (h2c over cleartext?); " +
  "skein speaks HTTP/2 over TLS only, when the server chooses h2 by ALPN";
/** Statuses whose `Response` must have a null body (1xx never get this far). */
const NULL_BODY = new Set([204, 205, 304]);

/** An HTTP/1.1 and HTTP/2 client with a keep-alive pool; see the module doc. */
export class HttpClient implements AsyncDisposable {
  #idle = new Map<string, Idle[]>();
  #busy = new Set<Deno.Conn>();
  /** Each connection's buffer for the heads of its answers (see HEAD_READ). */
  #headBuffers = new WeakMap<Deno.Conn, Uint8Array>();
  #maxIdle: number;
  #idleMs: number;
  #caCerts: string[] | undefined;
  #maxHead: number;
  #connectMs: number;
  #dial: Dialer;
  /** Made when a server first picks h2: `node:http2` costs 13 MB of RSS once loaded. */
  #h2: Http2Sessions | null = null;
  #http2: boolean;
  #alpn: string[] | undefined;
  /**
   * First TLS connections to origins whose protocol is not known yet: the
   * requests meanwhile wait for ALPN's answer instead of each opening a
   * connection that HTTP/2 would not need.
   */
  #probes = new Map<string, Promise<void>>();
  /** Origins known to answer `http/1.1` (or nothing) by ALPN. */
  #knownH1 = new Set<string>();
  #closed = false;
  /** Connections {@linkcode preconnect} opened that no request has taken yet. */
  #unused = new Set<Deno.Conn>();
  /** One unref'd timer closes connections idle too long (a timer per connection costs per request). */
  #sweeper: number | undefined;

  constructor(options: HttpClientOptions = {}) {
    this.#maxIdle = options.maxIdlePerHost ?? 256;
    this.#idleMs = options.idleTimeoutMs ?? 15000;
    this.#caCerts = options.caCerts;
    this.#maxHead = options.maxHeadBytes ?? 65536;
    this.#connectMs = options.connectTimeoutMs ?? 10000;
    this.#dial = options.dial ?? Deno.connect;
    this.#http2 = options.http2 ?? true;
    this.#alpn = this.#http2 ? ["h2", "http/1.1"] : undefined;
  }

  /**
   * Sends a GET and resolves with the response once its head is read.
   * Rejects with `signal.reason` on abort (the body stream errors with it
   * too), an {@linkcode Http1Error} for a malformed response, and a
   * `TypeError` (with the socket error as `cause`) when the connection fails.
   */
  async request(target: HttpTarget, req: HttpRequest): Promise<Response> {
    const { signal } = req;
    signal.throwIfAborted();
    if (this.#closed) throw new TypeError("HttpClient is closed");
    const key = poolKey(target);
    const h2 = this.#http2 && target.protocol === "https:" && !this.#knownH1.has(key);
    if (h2) {
      const probe = this.#probes.get(key);
      if (probe !== undefined) await abortable(probe, signal);
      const session = this.#h2?.get(key) ?? null;
      if (session !== null) {
        try {
          return await this.#h2!.request(session, authority(target), req);
        } catch (e) {
          // The session ended (GOAWAY, the server's idle close) before an answer: as for a
          // stale HTTP/1.1 connection, the GET is sent once more on a new connection.
          if (signal.aborted || !(session.closed || session.destroyed)) throw e;
        }
      }
    }
    const head = encodeRequest(target, req);
    for (let attempt = 0;; attempt++) {
      let lease = this.#take(key);
      if (lease === null) {
        let probed: (() => void) | undefined;
        if (h2 && !this.#probes.has(key)) {
          const { promise, resolve } = Promise.withResolvers<void>();
          this.#probes.set(key, promise);
          probed = () => {
            this.#probes.delete(key);
            resolve();
          };
        }
        let opened;
        try {
          opened = await this.#connect(target, signal, req.connectTimeoutMs);
          if (opened.alpn === "h2") await this.#loadHttp2(opened.conn);
          else if (h2) this.#learnH1(key);
        } finally {
          probed?.();
        }
        if (opened.alpn === "h2") {
          this.#busy.delete(opened.conn);
          const session = this.#h2!.adopt(key, opened.conn, authority(target));
          return this.#h2!.request(session, authority(target), req);
        }
        lease = { conn: opened.conn, reused: false };
      }
      try {
        return await this.#exchange(lease, key, head, req);
      } catch (e) {
        if (e instanceof StaleConnection && attempt === 0) continue;
        if (e instanceof StaleConnection) {
          throw new TypeError("Connection closed before the response", { cause: e });
        }
        throw e;
      }
    }
  }

  /**
   * Opens up to `count` idle keep-alive connections to `target` ahead of
   * requests, through the same connect path as a request (the exact checked
   * address, TLS with SNI), and resolves with how many it opened. They wait
   * in the pool like connections a request has released, so the next
   * requests to `target` take them instead of connecting. `count` may pass
   * the pool's `maxIdlePerHost` (the caller's own allowance of parallel
   * connections bounds it). It stops at the first connection that fails
   * and when `signal` aborts; aborting `signal` also closes the connections it
   * opened that no request has taken. Over HTTPS it opens connections only
   * once the origin is known to speak HTTP/1.1 (a request's handshake told):
   * an HTTP/2 origin needs one connection, which its first request opens.
   * Never rejects: pre-connecting is a hint.
   */
  async preconnect(target: HttpTarget, count: number, options: PreconnectOptions): Promise<number> {
    const { signal } = options;
    if (this.#closed || signal.aborted || count <= 0) return 0;
    const key = poolKey(target);
    if (target.protocol === "https:" && this.#http2) {
      const probe = this.#probes.get(key);
      if (probe !== undefined) await abortable(probe, signal).catch(() => {});
      if (!this.#knownH1.has(key)) return 0;
    }
    const mine: Deno.Conn[] = [];
    const closeUnused = () => {
      for (const conn of mine) {
        if (!this.#unused.delete(conn)) continue;
        const list = this.#idle.get(key);
        const at = list?.findIndex((idle) => idle.conn === conn) ?? -1;
        if (at >= 0) {
          list!.splice(at, 1);
          if (list!.length === 0) this.#idle.delete(key);
        }
        closeQuietly(conn);
      }
    };
    signal.addEventListener("abort", closeUnused, { once: true });
    let started = 0;
    let failed = false;
    const worker = async () => {
      while (started < count && !failed && !signal.aborted && !this.#closed) {
        started++;
        let conn: Deno.Conn;
        try {
          ({ conn } = await this.#connect(target, signal, options.connectTimeoutMs));
        } catch {
          failed = true;
          return;
        }
        this.#busy.delete(conn);
        if (signal.aborted || this.#closed) {
          closeQuietly(conn);
          return;
        }
        mine.push(conn);
        this.#unused.add(conn);
        this.#park(key, conn);
      }
    };
    const workers = [];
    for (let i = 0; i < Math.min(count, PRECONNECT_PARALLEL); i++) workers.push(worker());
    await Promise.all(workers);
    return mine.length;
  }

  /** Connections in the pool, waiting for a request. */
  get idleConnections(): number {
    let n = 0;
    for (const list of this.#idle.values()) n += list.length;
    return n;
  }

  /** Connections carrying a request, or reading the rest of a cancelled body. */
  get busyConnections(): number {
    return this.#busy.size;
  }

  /** Closes every connection, idle or in use; requests in flight fail. */
  close(): void {
    this.#closed = true;
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    for (const list of this.#idle.values()) for (const { conn } of list) closeQuietly(conn);
    this.#idle.clear();
    this.#unused.clear();
    for (const conn of this.#busy) closeQuietly(conn);
    this.#busy.clear();
    this.#h2?.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  async #loadHttp2(conn: Deno.Conn): Promise<void> {
    if (this.#h2 !== null) return;
    try {
      const { Http2Sessions } = await import("./http2_sessions.ts");
      this.#h2 ??= new Http2Sessions({ idleTimeoutMs: this.#idleMs });
      if (this.#closed) this.#h2.close();
    } catch (e) {
      closeQuietly(conn);
      throw e;
    }
  }

  #learnH1(key: string): void {
    if (this.#knownH1.size >= 4096) this.#knownH1.clear();
    this.#knownH1.add(key);
  }

  #take(key: string): Lease | null {
    const list = this.#idle.get(key);
    const idle = list?.pop();
    if (idle === undefined) return null;
    if (list!.length === 0) this.#idle.delete(key);
    this.#unused.delete(idle.conn);
    this.#busy.add(idle.conn);
    return { conn: idle.conn, reused: true };
  }

  #release(key: string, conn: Deno.Conn, reusable: boolean): void {
    this.#busy.delete(conn);
    if (!reusable || this.#closed) return closeQuietly(conn);
    if ((this.#idle.get(key)?.length ?? 0) >= this.#maxIdle) return closeQuietly(conn);
    this.#park(key, conn);
  }

  /** Puts an open connection in the pool, idle. */
  #park(key: string, conn: Deno.Conn): void {
    let list = this.#idle.get(key);
    if (list === undefined) this.#idle.set(key, list = []);
    list.push({ conn, since: performance.now() });
    if (this.#sweeper === undefined) {
      const every = Math.max(100, Math.min(this.#idleMs / 2, 5000));
      this.#sweeper = setInterval(() => this.#sweep(), every) as unknown as number;
      Deno.unrefTimer(this.#sweeper);
    }
  }

  #sweep(): void {
    const cutoff = performance.now() - this.#idleMs;
    for (const [key, list] of this.#idle) {
      // Oldest first: connections are pushed as they go idle and reused from the end.
      let n = 0;
      while (n < list.length && list[n].since <= cutoff) {
        this.#unused.delete(list[n].conn);
        closeQuietly(list[n++].conn);
      }
      if (n > 0) list.splice(0, n);
      if (list.length === 0) this.#idle.delete(key);
    }
    if (this.#idle.size === 0 && this.#sweeper !== undefined) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }

  async #connect(
    target: HttpTarget,
    signal: AbortSignal,
    connectMs = this.#connectMs,
  ): Promise<{ conn: Deno.Conn; alpn: string | null }> {
    let conn: Deno.Conn | null = null;
    let alpn: string | null = null;
    // One controller for both the caller's signal and the connect deadline.
    const ac = new AbortController();
    const timedOut = new Error("connect timeout");
    const timer = setTimeout(() => ac.abort(timedOut), connectMs);
    const off = onAbort(signal, (reason) => ac.abort(reason));
    const offConn = onAbort(ac.signal, () => {
      if (conn !== null) closeQuietly(conn);
    });
    let stage: "connect" | "tls" = "connect";
    try {
      const tcp = await abortable(
        this.#dial({ hostname: target.address, port: target.port }),
        ac.signal,
        closeQuietly,
      );
      conn = tcp;
      tcp.setNoDelay(true);
      if (target.protocol === "https:") {
        stage = "tls";
        const tls = await abortable(
          Deno.startTls(tcp, {
            hostname: target.hostname,
            caCerts: this.#caCerts,
            alpnProtocols: this.#alpn,
          }),
          ac.signal,
          closeQuietly,
        );
        conn = tls;
        // Awaited here so a certificate error is a connection error.
        alpn = (await tls.handshake()).alpnProtocol;
      }
      ac.signal.throwIfAborted();
      if (this.#closed) throw new TypeError("HttpClient is closed");
      this.#busy.add(conn);
      return { conn, alpn };
    } catch (e) {
      if (conn !== null) closeQuietly(conn);
      if (signal.aborted) throw signal.reason;
      const where = `${target.address}:${target.port}`;
      if (ac.signal.aborted) {
        throw new ConnectError(
          "connect_timeout",
          `Connection to ${where} not established within ${connectMs} ms`,
          { cause: e },
        );
      }
      const msg = e instanceof Error ? e.message : String(e);
      if (stage === "tls" && isTlsFailure(e)) {
        throw new ConnectError("tls", `TLS handshake with ${where} failed: ${msg}`, { cause: e });
      }
      throw new ConnectError("connect", `Connection to ${where} failed: ${msg}`, { cause: e });
    } finally {
      clearTimeout(timer);
      off();
      offConn();
    }
  }

  #newHeadBuffer(conn: Deno.Conn): Uint8Array {
    const buf = new Uint8Array(Math.min(HEAD_READ, this.#maxHead));
    this.#headBuffers.set(conn, buf);
    return buf;
  }

  /** Grows the connection's first-read buffer (for its next answers) towards `bytes`. */
  #fitHeadBuffer(conn: Deno.Conn, bytes: number): void {
    const stored = this.#headBuffers.get(conn);
    if (stored === undefined || stored.length >= bytes || stored.length >= FIRST_READ_MAX) return;
    let size = stored.length;
    while (size < bytes && size < FIRST_READ_MAX) size *= 2;
    this.#headBuffers.set(conn, new Uint8Array(Math.min(size, FIRST_READ_MAX)));
  }

  async #exchange(
    lease: Lease,
    key: string,
    request: Uint8Array,
    req: HttpRequest,
  ): Promise<Response> {
    const { conn } = lease;
    const { signal } = req;
    // One subscription for the whole exchange; what an abort does changes once the body starts.
    let abortAction = (_reason: unknown) => closeQuietly(conn);
    const off = onAbort(signal, (reason) => abortAction(reason));
    const fail = (e: unknown): never => {
      off();
      this.#busy.delete(conn);
      closeQuietly(conn);
      if (signal.aborted) throw signal.reason;
      if (e instanceof Http1Error || e instanceof StaleConnection || e instanceof TypeError) {
        throw e;
      }
      const msg = e instanceof Error ? e.message : String(e);
      throw new TypeError(`Request failed: ${msg}`, { cause: e });
    };

    let head: ResponseHead;
    // One request at a time per connection, and nothing refers to this buffer once the
    // head is parsed and the bytes after it are copied out: the next answer reuses it.
    let buf: Uint8Array = this.#headBuffers.get(conn) ?? this.#newHeadBuffer(conn);
    let len = 0;
    let received = false;
    let sniffed = false;
    let end: number;
    try {
      if (trace !== null) trace.stamp("write");
      await writeAll(conn, request);
      for (;;) {
        end = -1;
        let scanned = 0;
        while ((end = findHeadEnd(buf, scanned, len)) < 0) {
          if (len >= this.#maxHead) {
            throw new Http1Error(`Response head larger than ${this.#maxHead} bytes`);
          }
          if (len === buf.length) {
            const bigger = new Uint8Array(Math.min(buf.length * 2, this.#maxHead));
            bigger.set(buf);
            buf = bigger;
          }
          scanned = len;
          const n = await conn.read(buf.subarray(len));
          if (n === null) {
            if (!received && lease.reused) throw new StaleConnection();
            throw new TypeError("Connection closed before the end of the response head");
          }
          if (!sniffed && len + n >= 9) {
            sniffed = true;
            if (looksLikeHttp2(buf, len + n)) throw new Http1Error(H2C_MESSAGE);
          }
          received = true;
          len += n;
        }
        // A first read grown past maxHeadBytes (for bodies) may hold a longer head whole.
        if (end > this.#maxHead) {
          throw new Http1Error(`Response head larger than ${this.#maxHead} bytes`);
        }
        head = parseResponseHead(buf.subarray(0, end));
        // Interim responses (100 Continue, 103 Early Hints) are skipped.
        if (head.status >= 100 && head.status < 200 && head.status !== 101) {
          buf.copyWithin(0, end, len);
          len -= end;
          continue;
        }
        break;
      }
    } catch (e) {
      // A pooled connection the server closed or reset shows up as a failed write or
      // read before any byte of the answer: the request is safe to send again.
      const stale = lease.reused && !received && !signal.aborted && !(e instanceof Http1Error);
      return fail(stale ? new StaleConnection() : e);
    }
    if (head.status === 101 || head.status > 599) {
      return fail(new Http1Error(`Unexpected status ${head.status}`));
    }
    let framing;
    try {
      framing = bodyFraming(head);
    } catch (e) {
      return fail(e);
    }
    if (framing.kind === "length") this.#fitHeadBuffer(conn, end! + framing.length);
    const headers = new Headers();
    for (const [name, value] of head.headers) {
      try {
        headers.append(name, value);
      } catch {
        // A field Headers rejects (invalid name or value) is dropped, as fetch does.
      }
    }
    // A copy: `buf` serves the connection's next answer.
    const leftover = buf.slice(end!, len);
    const reusable = keepsAlive(head);
    const init = { status: head.status, statusText: head.statusText, headers };

    const status = head.status;
    /** Body bytes handed to the consumer so far. */
    let bodyBytes = 0;
    const ended = () => {
      if (req.onBodyEnd === undefined) return;
      try {
        req.onBodyEnd(status, bodyBytes);
      } catch (e) {
        reportError(e);
      }
    };

    if (framing.kind === "none" || NULL_BODY.has(head.status)) {
      if (trace !== null) trace.stamp("bodyEnd");
      off();
      this.#release(key, conn, reusable && leftover.length === 0 && framing.kind === "none");
      ended();
      return respond(null, init);
    }

    const closed = () => this.#closed;
    // The body: read from the socket only when the consumer pulls.
    let done = false;
    const finish = (reuse: boolean) => {
      if (done) return;
      done = true;
      if (trace !== null) trace.stamp("bodyEnd");
      off();
      this.#release(key, conn, reuse);
    };
    let remaining = framing.kind === "length" ? framing.length : Infinity;
    const chunked = framing.kind === "chunked" ? new ChunkedDecoder() : null;
    let pendingBytes: Uint8Array | null = leftover.length > 0 ? leftover : null;
    let controller: ReadableStreamDefaultController<Uint8Array>;
    abortAction = (reason) => {
      if (done) return;
      finish(false);
      controller.error(reason);
    };

    const nextRaw = async (): Promise<Uint8Array | null> => {
      if (pendingBytes !== null) {
        const b = pendingBytes;
        pendingBytes = null;
        return b;
      }
      const chunk = new Uint8Array(
        framing.kind === "length" ? Math.min(2 * READ_SIZE, Math.max(remaining, 1)) : READ_SIZE,
      );
      const n = await conn.read(chunk);
      return n === null ? null : chunk.subarray(0, n);
    };

    const body = new ReadableStream<Uint8Array>({
      start(c) {
        controller = c;
        if (framing.kind === "length" && remaining === 0) {
          finish(reusable && pendingBytes === null);
          ended();
          c.close();
        } else if (framing.kind === "length" && pendingBytes !== null) {
          // The whole body came with the head (most small pages): it ends here,
          // so the connection is free before the response is even returned.
          if (pendingBytes.length >= remaining) {
            const extra = pendingBytes.length > remaining;
            c.enqueue(pendingBytes.subarray(0, remaining));
            bodyBytes = remaining;
            pendingBytes = null;
            remaining = 0;
            finish(reusable && !extra);
            ended();
            c.close();
          }
        }
      },
      async pull(c) {
        try {
          for (;;) {
            const raw = await nextRaw();
            if (done) return;
            if (raw === null) {
              if (framing.kind === "close") {
                finish(false);
                ended();
                c.close();
                return;
              }
              throw new TypeError("Connection closed before the end of the body");
            }
            if (chunked !== null) {
              const data = chunked.push(raw);
              for (const d of data) {
                if (d.length === 0) continue;
                bodyBytes += d.length;
                c.enqueue(d);
              }
              if (chunked.done) {
                finish(reusable && chunked.rest.length === 0);
                ended();
                c.close();
                return;
              }
              if (data.some((d) => d.length > 0)) return;
              continue;
            }
            if (framing.kind === "length") {
              const take = raw.length > remaining ? raw.subarray(0, remaining) : raw;
              remaining -= take.length;
              bodyBytes += take.length;
              c.enqueue(take);
              if (remaining === 0) {
                finish(reusable && take.length === raw.length);
                ended();
                c.close();
              }
              return;
            }
            bodyBytes += raw.length;
            c.enqueue(raw);
            return;
          }
        } catch (e) {
          if (done) return;
          finish(false);
          c.error(
            signal.aborted ? signal.reason : closed() ? new TypeError("HttpClient is closed") : e,
          );
        }
      },
      cancel() {
        if (done) return;
        // An unread remainder that is small (a redirect's or a 404's page, say) is read and
        // dropped, so the connection goes back to the pool instead of being closed.
        const small = framing.kind === "chunked" ||
          (framing.kind === "length" && remaining <= DRAIN_BYTES);
        if (!reusable || !small) return finish(false);
        drain();
      },
    }, { highWaterMark: 0 });

    // Reads and drops the rest of the body in the background, at most DRAIN_BYTES and
    // DRAIN_MS; the connection is pooled if the body ended cleanly, closed otherwise.
    const drain = async () => {
      abortAction = () => finish(false);
      const timer = setTimeout(() => finish(false), DRAIN_MS);
      Deno.unrefTimer(timer);
      let budget = DRAIN_BYTES;
      try {
        for (;;) {
          const raw = await nextRaw();
          if (done) return;
          if (raw === null) return finish(false);
          budget -= raw.length;
          if (chunked !== null) {
            chunked.push(raw);
            if (chunked.done) return finish(chunked.rest.length === 0);
          } else {
            remaining -= raw.length;
            if (remaining <= 0) return finish(remaining === 0);
          }
          if (budget < 0) return finish(false);
        }
      } catch {
        finish(false);
      } finally {
        clearTimeout(timer);
      }
    };
    const res = respond(body, init);
    // The whole body came with the head (the stream above has it too): recorded for
    // `takeWholeBody`. Decided here, outside the closures above, so that their context
    // (which lives as long as the stream) holds no view of the bytes.
    if (framing.kind === "length" && leftover.length >= framing.length) {
      recordWholeBody(res, leftover.subarray(0, framing.length));
    }
    return res;
  }
}

function respond(
  body: ReadableStream<Uint8Array> | null,
  init: { status: number; statusText: string; headers: Headers },
): Response {
  try {
    return new Response(body, init);
  } catch {
    // A status text Response refuses (e.g. non-Latin-1 after decoding) is dropped.
    return new Response(body, { status: init.status, headers: init.headers });
  }
}

/** The header lines of a headers object, validated and joined once per object. */
const headerLines = new WeakMap<Record<string, string>, string>();

/** The `Host` header's value (and HTTP/2's `:authority`): the port only when not the default. */
function authority(target: HttpTarget): string {
  const defaultPort = target.protocol === "https:" ? 443 : 80;
  const name = target.hostname.includes(":") ? `[${target.hostname}]` : target.hostname;
  return target.port === defaultPort ? name : `${name}:${target.port}`;
}

function encodeRequest(target: HttpTarget, req: HttpRequest): Uint8Array {
  let lines = headerLines.get(req.headers);
  if (lines === undefined) {
    lines = "";
    for (const name in req.headers) {
      const value = req.headers[name];
      if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) {
        throw new TypeError(`Invalid header ${JSON.stringify(name)}`);
      }
      lines += `${name}: ${value}\r\n`;
    }
    headerLines.set(req.headers, lines);
  }
  const host = req.headers.host === undefined ? `host: ${authority(target)}\r\n` : "";
  if (/\s/.test(req.path)) throw new TypeError(`Invalid request path ${JSON.stringify(req.path)}`);
  return encoder.encode(`GET ${req.path} HTTP/1.1\r\n${host}${lines}\r\n`);
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

/**
 * Whether an error of the TLS stage is the handshake failing (certificate,
 * protocol) rather than the connection breaking under it (reset, EOF), which
 * is a network error worth a retry.
 */
function isTlsFailure(e: unknown): boolean {
  if (
    e instanceof Deno.errors.ConnectionReset || e instanceof Deno.errors.BrokenPipe ||
    e instanceof Deno.errors.UnexpectedEof || e instanceof Deno.errors.ConnectionAborted
  ) return false;
  return true;
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}
