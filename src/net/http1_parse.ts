/**
 * The pure half of the client's HTTP/1.1: finding and parsing a response head,
 * deciding how its body is framed (RFC 9112 §6.3), and decoding chunked
 * transfer coding. No I/O here, so every rule is tested on bytes alone.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bodyFraming, findHeadEnd, parseResponseHead } from "./http1_parse.ts";
 * const bytes = new TextEncoder().encode("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
 * const end = findHeadEnd(bytes, 0, bytes.length);
 * const head = parseResponseHead(bytes.subarray(0, end));
 * assert.equal(head.status, 200);
 * assert.deepEqual(bodyFraming(head), { kind: "length", length: 2 });
 * ```
 * @module
 */

/** A response the client cannot make sense of; `code` is always `bad_response`. */
export class Http1Error extends TypeError {
  /** Stable code. */
  readonly code = "bad_response";
  constructor(message: string) {
    super(message);
    this.name = "Http1Error";
  }
}

/** The status line and header fields of a response. */
export interface ResponseHead {
  /** Minor version: 1 for HTTP/1.1, 0 for HTTP/1.0. */
  minor: 0 | 1;
  status: number;
  statusText: string;
  /** Header fields in order, names lower-cased, values trimmed. */
  headers: [string, string][];
}

/** How a response body is delimited. */
export type BodyFraming =
  | { kind: "none" }
  | { kind: "length"; length: number }
  | { kind: "chunked" }
  | { kind: "close" };

/**
 * The index just past the blank line ending a head in `buf[from, to)`, or
 * -1. A bare LF is accepted where CRLF is due, as browsers do. `from` may
 * point into the previous read; scanning restarts 3 bytes back.
 */
export function findHeadEnd(buf: Uint8Array, from: number, to: number): number {
  for (let i = Math.max(0, from - 3); i < to; i++) {
    if (buf[i] !== 10) continue;
    if (i + 1 < to && buf[i + 1] === 10) return i + 2;
    if (i + 2 < to && buf[i + 1] === 13 && buf[i + 2] === 10) return i + 3;
  }
  return -1;
}

/**
 * Whether `buf[0, len)` starts like an HTTP/2 server rather than an HTTP/1.x
 * status line: a SETTINGS frame on stream 0 (the server's connection
 * preface, RFC 9113 §3.4), or GOAWAY, with a length that fits. An h2c server
 * answers an HTTP/1.1 request that way.
 */
export function looksLikeHttp2(buf: Uint8Array, len: number): boolean {
  if (len < 9 || buf[0] === 0x48 /* H */) return false;
  const length = (buf[0] << 16) | (buf[1] << 8) | buf[2];
  const type = buf[3];
  const stream = ((buf[5] & 0x7f) << 24) | (buf[6] << 16) | (buf[7] << 8) | buf[8];
  if (stream !== 0) return false;
  if (type === 0x04) return length % 6 === 0 && length <= 16384;
  return type === 0x07 && length >= 8 && length <= 16384;
}

/** Bytes as ISO-8859-1 text: each byte one code unit, as header bytes are. */
export function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192) as unknown as number[]);
  }
  return s;
}

const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/;

/**
 * Parses a head (status line and fields, up to and including the blank
 * line). Throws {@linkcode Http1Error} on a malformed status line; a field
 * line without a colon is skipped, as lenient parsers do.
 */
export function parseResponseHead(bytes: Uint8Array): ResponseHead {
  const lines = latin1(bytes).split("\n");
  const statusLine = lines[0].endsWith("\r") ? lines[0].slice(0, -1) : lines[0];
  const m = STATUS_LINE.exec(statusLine);
  if (m === null) {
    throw new Http1Error(`Malformed status line ${JSON.stringify(statusLine.slice(0, 80))}`);
  }
  const headers: [string, string][] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    headers.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return { minor: m[1] === "1" ? 1 : 0, status: Number(m[2]), statusText: m[3] ?? "", headers };
}

/** Every value of header `name` (lower case), joined with ", " as fetch does, or null. */
export function headerValue(head: ResponseHead, name: string): string | null {
  let out: string | null = null;
  for (const [n, v] of head.headers) {
    if (n === name) out = out === null ? v : `${out}, ${v}`;
  }
  return out;
}

function tokens(value: string | null): string[] {
  return value === null ? [] : value.split(",").map((t) => t.trim().toLowerCase()).filter(Boolean);
}

/**
 * How the body of a response to a GET is delimited (RFC 9112 §6.3): none for
 * 1xx, 204 and 304; chunked when it is the final transfer coding; to the end
 * of the connection for any other transfer coding or when no length is
 * given; else `Content-Length`, which must be digits, and the same value if
 * repeated.
 */
export function bodyFraming(head: ResponseHead): BodyFraming {
  const { status } = head;
  if (status < 200 || status === 204 || status === 304) return { kind: "none" };
  const te = tokens(headerValue(head, "transfer-encoding"));
  if (te.length > 0) return te.at(-1) === "chunked" ? { kind: "chunked" } : { kind: "close" };
  const cl = headerValue(head, "content-length");
  if (cl === null) return { kind: "close" };
  let value = cl;
  if (cl.includes(",")) {
    const values = new Set(cl.split(",").map((v) => v.trim()));
    if (values.size !== 1) throw new Http1Error(`Conflicting Content-Length ${JSON.stringify(cl)}`);
    [value] = values;
  }
  if (!DIGITS.test(value)) {
    throw new Http1Error(`Invalid Content-Length ${JSON.stringify(cl)}`);
  }
  return { kind: "length", length: Number(value) };
}

const DIGITS = /^\d{1,15}$/;

/** Whether the connection may carry another request after this response. */
export function keepsAlive(head: ResponseHead): boolean {
  const connection = tokens(headerValue(head, "connection"));
  if (head.minor === 0) return connection.includes("keep-alive");
  return !connection.includes("close");
}

const enum State {
  Size,
  Extension,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  Trailer,
  TrailerLf,
  Done,
}

/** Longest chunk-size line (size and extensions) accepted. */
const MAX_SIZE_LINE = 4096;
/** Most trailer bytes accepted. */
const MAX_TRAILERS = 65536;

/**
 * Decodes chunked transfer coding incrementally. `push(bytes)` returns the
 * data found in them (views of `bytes`, not copies); once the last chunk and
 * trailers are read, `done` is true and `rest` holds any bytes after them.
 * Throws {@linkcode Http1Error} on a malformed or oversized size line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ChunkedDecoder } from "./http1_parse.ts";
 * const d = new ChunkedDecoder();
 * const out = d.push(new TextEncoder().encode("2\r\nhi\r\n0\r\n\r\n"));
 * assert.equal(new TextDecoder().decode(out[0]), "hi");
 * assert.ok(d.done);
 * ```
 */
export class ChunkedDecoder {
  #state = State.Size;
  #size = 0;
  #digits = 0;
  #lineBytes = 0;
  #trailerBytes = 0;
  #lineEmpty = true;
  /** Bytes after the end of the body, once `done`. */
  rest: Uint8Array = new Uint8Array(0);

  /** Whether the terminating chunk and trailers have been read. */
  get done(): boolean {
    return this.#state === State.Done;
  }

  /** Feeds bytes; returns the body data they contained. */
  push(bytes: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let i = 0;
    const n = bytes.length;
    while (i < n && this.#state !== State.Done) {
      switch (this.#state) {
        case State.Size: {
          const c = bytes[i++];
          const v = hexValue(c);
          if (v >= 0) {
            if (++this.#digits > 13) throw new Http1Error("Chunk size too large");
            this.#size = this.#size * 16 + v;
          } else if (this.#digits === 0) {
            throw new Http1Error(`Invalid chunk size byte 0x${c.toString(16)}`);
          } else if (c === 13) this.#state = State.SizeLf;
          else if (c === 10) this.#endSizeLine();
          else if (c === 59 /* ; */ || c === 32 || c === 9) this.#state = State.Extension;
          else throw new Http1Error(`Invalid chunk size byte 0x${c.toString(16)}`);
          break;
        }
        case State.Extension: {
          const lf = bytes.indexOf(10, i);
          const end = lf < 0 ? n : lf;
          this.#lineBytes += end - i;
          if (this.#lineBytes > MAX_SIZE_LINE) throw new Http1Error("Chunk extension too long");
          i = end;
          if (lf >= 0) {
            i++;
            this.#endSizeLine();
          }
          break;
        }
        case State.SizeLf:
          if (bytes[i++] !== 10) throw new Http1Error("Expected LF after chunk size");
          this.#endSizeLine();
          break;
        case State.Data: {
          const take = Math.min(this.#size, n - i);
          out.push(bytes.subarray(i, i + take));
          i += take;
          this.#size -= take;
          if (this.#size === 0) this.#state = State.DataCr;
          break;
        }
        case State.DataCr: {
          const c = bytes[i++];
          if (c === 13) this.#state = State.DataLf;
          else if (c === 10) this.#state = State.Size;
          else throw new Http1Error("Expected CRLF after chunk data");
          break;
        }
        case State.DataLf:
          if (bytes[i++] !== 10) throw new Http1Error("Expected LF after chunk data");
          this.#state = State.Size;
          break;
        case State.Trailer: {
          const c = bytes[i++];
          if (++this.#trailerBytes > MAX_TRAILERS) throw new Http1Error("Trailers too long");
          if (c === 10) {
            if (this.#lineEmpty) this.#state = State.Done;
            this.#lineEmpty = true;
          } else if (c === 13) this.#state = State.TrailerLf;
          else this.#lineEmpty = false;
          break;
        }
        case State.TrailerLf: {
          if (bytes[i++] !== 10) throw new Http1Error("Expected LF in trailers");
          if (this.#lineEmpty) this.#state = State.Done;
          else {
            this.#lineEmpty = true;
            this.#state = State.Trailer;
          }
          break;
        }
      }
    }
    if (this.#state === State.Done) this.rest = bytes.subarray(i);
    return out;
  }

  #endSizeLine(): void {
    this.#digits = 0;
    this.#lineBytes = 0;
    if (this.#size === 0) {
      this.#state = State.Trailer;
      this.#lineEmpty = true;
    } else this.#state = State.Data;
  }
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}
