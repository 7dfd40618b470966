/**
 * A quicker way into BSON for the long ASCII strings a crawl stores: URLs,
 * document ids, content hashes. `bson` 7 copies a string of up to 25
 * characters byte by byte, and writes every longer one through Node's
 * `Buffer.prototype.write`, which in Deno is a wrapper object and a call into
 * the runtime per string. A stored page holds a dozen or more such strings.
 * {@linkcode installAsciiStrings} puts a byte loop for ASCII strings in
 * front of that path in the process's `bson` (the one the driver uses);
 * any other string goes the way it went, and the bytes written are the same.
 *
 * @example
 * ```ts
 * import { BSON } from "mongodb";
 * import { installAsciiStrings } from "./bson_strings.ts";
 * installAsciiStrings();
 * BSON.serialize({ url: "http://a.test/a/long/enough/path.html" });
 * ```
 * @module
 */
import { BSON } from "mongodb";

/** `bson`'s string writer: writes `source` as UTF-8 at `offset`, returns the bytes written. */
export type EncodeInto = (buffer: Uint8Array, source: string, offset: number) => number;

/** Strings longer than this go to the runtime's encoder, faster on long text (a page's content). */
const LONGEST = 1024;

/**
 * `fallback` with ASCII strings of up to 1,024 characters written by a byte
 * loop first: the same bytes, the same count.
 */
export function asciiFirst(fallback: EncodeInto): EncodeInto {
  return (buffer, source, offset) => {
    const n = source.length;
    if (n > LONGEST || buffer.length - offset < n) return fallback(buffer, source, offset);
    for (let i = 0; i < n; i++) {
      const c = source.charCodeAt(i);
      if (c > 0x7f) return fallback(buffer, source, offset);
      buffer[offset + i] = c;
    }
    return n;
  };
}

interface ByteUtilsLike {
  encodeUTF8Into: EncodeInto;
}

let installed = false;

/**
 * Installs {@linkcode asciiFirst} in `bson`'s byte utilities, once per
 * process. Returns whether it is in place: `false` when this `bson` has no
 * such hook (another version), which leaves `bson` as it is.
 */
export function installAsciiStrings(): boolean {
  if (installed) return true;
  const utils = (BSON as { onDemand?: { ByteUtils?: Partial<ByteUtilsLike> } }).onDemand
    ?.ByteUtils;
  const original = utils?.encodeUTF8Into;
  if (typeof original !== "function" || original.length !== 3) return false;
  (utils as ByteUtilsLike).encodeUTF8Into = asciiFirst(original.bind(utils));
  installed = true;
  return true;
}
