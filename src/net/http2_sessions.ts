/**
 * HTTP/2 for skein's client: one `node:http2` session per origin and
 * checked address, carried by the TLS connection the client opened itself
 * (to the pinned address, with the host name as SNI) and in which the server
 * chose `h2` by ALPN. Requests to that origin are multiplexed over the one
 * session; it closes after `idleTimeoutMs` without traffic, on GOAWAY, or on
 * `close()`.
 *
 * `node:http2` is handed the connection through `createConnection`, wrapped
 * in a small `Duplex`, so it never resolves or dials anything itself: the SSRF
 * guard's pin holds for HTTP/2 as for HTTP/1.1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Http2Sessions } from "./http2_sessions.ts";
 * await using sessions = new Http2Sessions();
 * assert.equal(sessions.get("https://a.test|192.0.2.1|443"), null);
 * ```
 * @module
 */
import http2 from "node:http2";
import { Duplex } from "node:stream";
import { onAbort } from "../async/on_abort.ts";

/** Options of {@linkcode Http2Sessions}. */
export interface Http2SessionsOptions {
  /**
   * A session without any frame for this long is closed, in ms.
   * @default {15000}
   */
  idleTimeoutMs?: number;
}

/** One request over a session. */
export interface Http2Request {
  /** Path and query, e.g. `/a?b=1`. */
  path: string;
  /** Request headers, names in lower case (connection-specific ones are dropped). */
  headers: Record<string, string>;
  signal: AbortSignal;
  /**
   * Called once with the status and the body's length in bytes when the body
   * has been received to its end (as `HttpRequest.onBodyEnd`; here that is
   * when the consumer has read it, since the stream is read only as it is
   * pulled).
   * @default {undefined}
   */
  onBodyEnd?: (status: number, bytes: number) => void;
}

/** Fields HTTP/2 forbids (RFC 9113 §8.2.2); `host` becomes `:authority`. */
const CONNECTION_FIELDS = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "host",
  "te",
]);
/** Statuses whose `Response` must have a null body. */
const NULL_BODY = new Set([204, 205, 304]);
const { NGHTTP2_CANCEL } = http2.constants;

/** HTTP/2 sessions by origin and address; see the module doc. */
export class Http2Sessions implements AsyncDisposable {
  #sessions = new Map<string, http2.ClientHttp2Session>();
  /** Origins (keys) whose server chose h2 before: their next connection will too. */
  #speaksH2 = new Set<string>();
  #idleMs: number;
  #closed = false;

  constructor(options: Http2SessionsOptions = {}) {
    this.#idleMs = options.idleTimeoutMs ?? 15000;
  }

  /** Whether the server at `key` chose HTTP/2 on an earlier connection. */
  speaksH2(key: string): boolean {
    return this.#speaksH2.has(key);
  }

  /** The live session for `key`, or null. */
  get(key: string): http2.ClientHttp2Session | null {
    const s = this.#sessions.get(key);
    if (s === undefined) return null;
    if (s.closed || s.destroyed) {
      this.#sessions.delete(key);
      return null;
    }
    return s;
  }

  /**
   * Makes `conn` (a TLS connection whose server chose `h2`) the session for
   * `key`; when one is live already, `conn` is closed and that one returned,
   * so each origin keeps one connection.
   */
  adopt(key: string, conn: Deno.Conn, authority: string): http2.ClientHttp2Session {
    if (this.#closed) {
      closeQuietly(conn);
      throw new TypeError("HTTP client is closed");
    }
    this.#speaksH2.add(key);
    if (this.#speaksH2.size > 4096) this.#speaksH2.delete(this.#speaksH2.values().next().value!);
    const live = this.get(key);
    if (live !== null) {
      closeQuietly(conn);
      return live;
    }
    const session = http2.connect(`https://${authority}`, {
      createConnection: () => connDuplex(conn) as unknown as import("node:net").Socket,
    });
    const forget = () => {
      if (this.#sessions.get(key) === session) this.#sessions.delete(key);
    };
    session.on("error", forget);
    session.on("goaway", forget);
    session.on("close", forget);
    session.setTimeout(this.#idleMs, () => session.close());
    this.#sessions.set(key, session);
    return session;
  }

  /**
   * Sends a GET on `session` and resolves with the response once its
   * headers are in; the body streams as the consumer pulls. Rejects with
   * `signal.reason` on abort and a `TypeError` when the stream or session
   * fails.
   */
  request(
    session: http2.ClientHttp2Session,
    authority: string,
    req: Http2Request,
  ): Promise<Response> {
    const { signal } = req;
    signal.throwIfAborted();
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request(
        { ...h2Headers(req.headers), ":method": "GET", ":path": req.path, ":authority": authority },
        { endStream: true },
      );
    } catch (e) {
      return Promise.reject(failure(e));
    }
    const { promise, resolve, reject } = Promise.withResolvers<Response>();
    let controller: ReadableStreamDefaultController<Uint8Array> | null = null;
    let settled = false;
    let ended = false;
    const off = onAbort(signal, (reason) => {
      stream.close(NGHTTP2_CANCEL);
      if (!settled) reject(reason);
      else if (!ended) controller?.error(reason);
      ended = true;
    });
    const fail = (e: unknown) => {
      off();
      if (ended) return;
      ended = true;
      if (!settled) reject(failure(e));
      else controller?.error(failure(e));
    };
    stream.on("error", fail);
    stream.on("close", () => {
      off();
      if (stream.rstCode !== undefined && stream.rstCode !== 0) {
        fail(new Error(`stream reset by the server (code ${stream.rstCode})`));
      } else if (!settled) fail(new Error("stream closed before the response"));
    });
    stream.on("response", (fields) => {
      settled = true;
      const status = Number(fields[":status"]);
      const headers = new Headers();
      for (const [name, value] of Object.entries(fields)) {
        if (name.startsWith(":") || value === undefined) continue;
        try {
          for (const v of Array.isArray(value) ? value : [value]) headers.append(name, String(v));
        } catch {
          // A field Headers rejects is dropped, as fetch does.
        }
      }
      /** Body bytes handed to the consumer so far. */
      let received = 0;
      const bodyEnded = () => {
        try {
          req.onBodyEnd?.(status, received);
        } catch (e) {
          reportError(e);
        }
      };
      if (NULL_BODY.has(status)) {
        stream.close(NGHTTP2_CANCEL);
        ended = true;
        off();
        resolve(new Response(null, { status, headers }));
        bodyEnded();
        return;
      }
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          controller = c;
          stream.on("data", (chunk: Uint8Array) => {
            if (ended) return;
            received += chunk.byteLength;
            c.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
            if ((c.desiredSize ?? 0) <= 0) stream.pause();
          });
          stream.pause();
          stream.on("end", () => {
            if (ended) return;
            ended = true;
            off();
            c.close();
            bodyEnded();
          });
        },
        pull() {
          stream.resume();
        },
        cancel() {
          ended = true;
          off();
          stream.close(NGHTTP2_CANCEL);
        },
      }, { highWaterMark: 0 });
      resolve(new Response(body, { status, headers }));
    });
    return promise;
  }

  /** Closes every session and the connections under them. */
  close(): void {
    this.#closed = true;
    for (const s of this.#sessions.values()) s.destroy();
    this.#sessions.clear();
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}

/** The request headers as HTTP/2 fields, made once per headers object. */
const fieldsOf = new WeakMap<Record<string, string>, Record<string, string>>();

function h2Headers(headers: Record<string, string>): Record<string, string> {
  let out = fieldsOf.get(headers);
  if (out === undefined) {
    out = {};
    for (const name in headers) {
      const lower = name.toLowerCase();
      if (!CONNECTION_FIELDS.has(lower)) out[lower] = headers[name];
    }
    fieldsOf.set(headers, out);
  }
  return out;
}

function failure(e: unknown): TypeError {
  if (e instanceof TypeError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new TypeError(`HTTP/2 request failed: ${msg}`, { cause: e });
}

/** `conn` as the node `Duplex` that `node:http2` reads frames from and writes them to. */
function connDuplex(conn: Deno.Conn): Duplex {
  return new Duplex({
    read() {
      const buf = new Uint8Array(32 * 1024);
      conn.read(buf).then(
        (n) => this.push(n === null ? null : buf.subarray(0, n)),
        (e) => this.destroy(e),
      );
    },
    write(chunk: Uint8Array, _encoding, callback) {
      writeAll(conn, chunk).then(() => callback(), callback);
    },
    final(callback) {
      closeQuietly(conn);
      callback();
    },
    destroy(err, callback) {
      closeQuietly(conn);
      callback(err);
    },
  });
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}
