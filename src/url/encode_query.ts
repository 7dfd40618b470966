/**
 * The URL standard's "encoding" parameter: when a page in a legacy encoding
 * (windows-1252, windows-1251, Shift_JIS, GBK, …) links to `?q=café`, the
 * query is percent-encoded from the bytes of that encoding (`%E9`), not from
 * UTF-8 (`%C3%A9`), and a character the encoding cannot hold becomes the
 * escaped numeric character reference `%26%23NNN%3B` (`&#NNN;`). Paths and
 * fragments stay UTF-8, and so do queries on UTF-8 and UTF-16 pages.
 *
 * The encoders are the reverse of `TextDecoder`'s tables (the Encoding
 * standard's indexes), built lazily, once per encoding and thread, with the
 * standard's special cases. ISO-2022-JP, a stateful encoding hardly used on
 * the web, is treated as UTF-8.
 *
 * @example
 * ```ts
 * import { encodeHrefQuery } from "./encode_query.ts";
 * encodeHrefQuery("/caf\u00e9?q=caf\u00e9#x", "windows-1252"); // "/caf\u00e9?q=caf%E9#x"
 * encodeHrefQuery("?q=\u0101", "windows-1252"); // "?q=%26%23257%3B"
 * encodeHrefQuery("?q=caf\u00e9", "utf-8"); // "?q=caf\u00e9" (the URL parser does UTF-8)
 * ```
 * @module
 */

/** The bytes of one code point in an encoding, or `null` when it has none. */
type CodePointEncoder = (cp: number) => number[] | null;

const SINGLE_BYTE = new Set([
  "ibm866",
  "iso-8859-2",
  "iso-8859-3",
  "iso-8859-4",
  "iso-8859-5",
  "iso-8859-6",
  "iso-8859-7",
  "iso-8859-8",
  "iso-8859-8-i",
  "iso-8859-10",
  "iso-8859-13",
  "iso-8859-14",
  "iso-8859-15",
  "iso-8859-16",
  "koi8-r",
  "koi8-u",
  "macintosh",
  "windows-874",
  "windows-1250",
  "windows-1251",
  "windows-1252",
  "windows-1253",
  "windows-1254",
  "windows-1255",
  "windows-1256",
  "windows-1257",
  "windows-1258",
  "x-mac-cyrillic",
  "x-user-defined",
]);

const encoders = new Map<string, CodePointEncoder | null>();

/** The canonical name of an encoding label, or `null` when it is unknown. */
function canonical(label: string): string | null {
  try {
    return new TextDecoder(label).encoding;
  } catch {
    return null;
  }
}

/**
 * The code point encoder of `encoding`, or `null` when queries are UTF-8
 * there (UTF-8, UTF-16, ISO-2022-JP, unknown labels).
 */
export function queryEncoder(encoding: string): CodePointEncoder | null {
  let e = encoders.get(encoding);
  if (e === undefined) {
    const name = canonical(encoding);
    e = name === null ? null : (encoders.get(name) ?? build(name));
    encoders.set(encoding, e);
    if (name !== null) encoders.set(name, e);
  }
  return e;
}

function build(name: string): CodePointEncoder | null {
  if (SINGLE_BYTE.has(name)) return singleByte(name);
  switch (name) {
    case "shift_jis":
      return shiftJis();
    case "euc-jp":
      return eucJp();
    case "euc-kr":
      return pairTable("euc-kr", range(0x81, 0xfe), range(0x41, 0xfe));
    case "big5":
      return big5();
    case "gbk":
    case "gb18030":
      return gb18030(name === "gbk");
    default:
      return null; // utf-8, utf-16be/le, iso-2022-jp
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function singleByte(name: string): CodePointEncoder {
  const bytes = Uint8Array.from(range(0x80, 0xff));
  const text = new TextDecoder(name).decode(bytes);
  const table = new Map<number, number>();
  for (let i = 0; i < text.length; i++) {
    const cp = text.charCodeAt(i);
    if (cp !== 0xfffd && !table.has(cp)) table.set(cp, 0x80 + i);
  }
  return (cp) => {
    if (cp < 0x80) return [cp];
    const b = table.get(cp);
    return b === undefined ? null : [b];
  };
}

/**
 * Decodes every `lead trail` pair of `leads` × `trails` and maps each code
 * point to the bytes of its first pair (or its last, for `last`). Pairs that
 * decode to anything but one code point are left out.
 */
function pairs(
  name: string,
  leads: number[],
  trails: number[],
  keep: (cp: number, lead: number) => boolean = () => true,
  last: ReadonlySet<number> = new Set(),
): Map<number, number[]> {
  // One decode for all pairs, each followed by a line feed (never a trail byte).
  const buf = new Uint8Array(leads.length * trails.length * 3);
  let n = 0;
  for (const l of leads) {
    for (const t of trails) {
      buf[n++] = l;
      buf[n++] = t;
      buf[n++] = 0x0a;
    }
  }
  const pieces = new TextDecoder(name).decode(buf).split("\n");
  const table = new Map<number, number[]>();
  let i = 0;
  for (const l of leads) {
    for (const t of trails) {
      const p = pieces[i++];
      const cp = p.codePointAt(0)!;
      if (p.length !== (cp > 0xffff ? 2 : 1) || cp === 0xfffd || cp < 0x80) continue;
      if (!keep(cp, l)) continue;
      if (!table.has(cp) || last.has(cp)) table.set(cp, [l, t]);
    }
  }
  return table;
}

function pairTable(name: string, leads: number[], trails: number[]): CodePointEncoder {
  const table = pairs(name, leads, trails);
  return (cp) => cp < 0x80 ? [cp] : table.get(cp) ?? null;
}

function shiftJis(): CodePointEncoder {
  // Index Shift_JIS pointers exclude 8272..8835 (leads 0xED-0xEF), and the
  // user-defined area (decoded to U+E000-U+E757) has no encoding.
  const leads = [...range(0x81, 0x9f), ...range(0xe0, 0xec), ...range(0xf0, 0xfc)];
  const table = pairs(
    "shift_jis",
    leads,
    [...range(0x40, 0x7e), ...range(0x80, 0xfc)],
    (cp) => cp < 0xe000 || cp > 0xf8ff,
  );
  return (cp) => {
    if (cp <= 0x80) return [cp];
    if (cp === 0xa5) return [0x5c];
    if (cp === 0x203e) return [0x7e];
    if (cp >= 0xff61 && cp <= 0xff9f) return [cp - 0xff61 + 0xa1];
    return table.get(cp === 0x2212 ? 0xff0d : cp) ?? null;
  };
}

function eucJp(): CodePointEncoder {
  const table = pairs("euc-jp", range(0xa1, 0xfe), range(0xa1, 0xfe));
  return (cp) => {
    if (cp < 0x80) return [cp];
    if (cp === 0xa5) return [0x5c];
    if (cp === 0x203e) return [0x7e];
    if (cp >= 0xff61 && cp <= 0xff9f) return [0x8e, cp - 0xff61 + 0xa1];
    return table.get(cp === 0x2212 ? 0xff0d : cp) ?? null;
  };
}

function big5(): CodePointEncoder {
  // Index Big5 pointers below (0xA1 - 0x81) × 157 (HKSCS) are not encoded; six
  // code points take their last pointer.
  const table = pairs(
    "big5",
    range(0xa1, 0xfe),
    [...range(0x40, 0x7e), ...range(0xa1, 0xfe)],
    () => true,
    new Set([0x2550, 0x255e, 0x2561, 0x256a, 0x5341, 0x5345]),
  );
  return (cp) => cp < 0x80 ? [cp] : table.get(cp) ?? null;
}

function gb18030(gbk: boolean): CodePointEncoder {
  const table = pairs("gb18030", range(0x81, 0xfe), [...range(0x40, 0x7e), ...range(0x80, 0xfe)]);
  let fourByte: string | null = null; // code points of four-byte pointers 0..39419, in order
  const four = (pointer: number): number[] => {
    const b1 = Math.floor(pointer / 12600);
    const r1 = pointer % 12600;
    const b2 = Math.floor(r1 / 1260);
    const r2 = r1 % 1260;
    return [b1 + 0x81, b2 + 0x30, Math.floor(r2 / 10) + 0x81, (r2 % 10) + 0x30];
  };
  return (cp) => {
    if (cp < 0x80) return [cp];
    if (cp === 0xe5e5) return null;
    if (gbk && cp === 0x20ac) return [0x80];
    const two = table.get(cp);
    if (two !== undefined) return two;
    if (gbk) return null;
    if (cp >= 0x10000) return four(189000 + cp - 0x10000);
    if (fourByte === null) {
      const buf = new Uint8Array(39420 * 4);
      for (let p = 0; p < 39420; p++) buf.set(four(p), p * 4);
      fourByte = new TextDecoder("gb18030").decode(buf);
    }
    const pointer = fourByte.indexOf(String.fromCharCode(cp));
    return pointer === -1 ? null : four(pointer);
  };
}

const HEX = "0123456789ABCDEF";

/** Bytes the URL parser percent-encodes in a special URL's query (C0, space, `"#<>'`). */
function inQuerySet(b: number): boolean {
  return b <= 0x20 || b === 0x22 || b === 0x23 || b === 0x3c || b === 0x3e || b === 0x27 ||
    b >= 0x7f;
}

/**
 * `href` with the non-ASCII characters of its query percent-encoded in
 * `encoding` (see the module doc), ready for the URL parser; `href` itself
 * when there is nothing to change.
 */
export function encodeHrefQuery(href: string, encoding: string): string {
  let end = href.indexOf("#");
  if (end === -1) end = href.length;
  const q = href.indexOf("?");
  if (q === -1 || q > end) return href;
  let i = q + 1;
  while (i < end && href.charCodeAt(i) < 0x80) i++;
  if (i === end) return href;
  const enc = queryEncoder(encoding);
  if (enc === null) return href;
  let out = href.slice(0, i);
  while (i < end) {
    let cp = href.codePointAt(i)!;
    const size = cp > 0xffff ? 2 : 1;
    i += size;
    if (cp < 0x80) {
      out += String.fromCharCode(cp);
      continue;
    }
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd; // a lone surrogate, as the parser reads it
    const bytes = enc(cp);
    if (bytes === null) {
      out += `%26%23${cp}%3B`;
      continue;
    }
    for (const b of bytes) {
      out += inQuerySet(b) ? "%" + HEX[b >> 4] + HEX[b & 15] : String.fromCharCode(b);
    }
  }
  return out + href.slice(end);
}
