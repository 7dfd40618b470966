/**
 * Picks the character encoding of an HTML byte stream the way browsers do,
 * simplified: byte order mark, then the `charset` of the `Content-Type`
 * header, then a `<meta charset>` or `<meta http-equiv>` in the first 1024
 * bytes ({@linkcode declaredCharset}); with none of those, `decode_html.ts`
 * looks at the bytes themselves (UTF-8 when valid, else windows-1252).
 *
 * @example
 * ```ts
 * import { declaredCharset } from "./sniff_charset.ts";
 * const head = new TextEncoder().encode('<meta charset="windows-1251">');
 * declaredCharset("text/html", head); // "windows-1251"
 * declaredCharset(null, new Uint8Array()); // null: decode_html.ts decides
 * ```
 * @module
 */

/** How many leading bytes the `<meta>` prescan looks at. */
export const PRESCAN_BYTES = 1024;

const META_CHARSET =
  /<meta\s[^>]*?(?:charset\s*=\s*["']?\s*([A-Za-z0-9_:.+-]+)|http-equiv\s*=\s*["']?content-type["']?[^>]*?content\s*=\s*["'][^"']*?charset\s*=\s*([A-Za-z0-9_:.+-]+))/i;
const META_CONTENT_FIRST =
  /<meta\s[^>]*?content\s*=\s*["'][^"']*?charset\s*=\s*([A-Za-z0-9_:.+-]+)[^>]*?http-equiv\s*=\s*["']?content-type/i;

/** Bytes as text, one character each (the prescan looks for ASCII only). */
const latin1 = new TextDecoder("windows-1252");

/** Canonical names by label, as `TextDecoder` gave them (a decoder made per page cost). */
const canonical = new Map<string, string | null>();

/** The canonical encoding name for a label, or `null` when the label is unknown. */
export function encodingFor(label: string | null | undefined): string | null {
  if (!label) return null;
  let name = canonical.get(label);
  if (name !== undefined) return name;
  try {
    name = new TextDecoder(label.trim()).encoding;
  } catch {
    name = null;
  }
  if (canonical.size >= 256) canonical.clear();
  canonical.set(label, name);
  return name;
}

/** The `charset` parameter of a `Content-Type` value, if any. */
export function charsetParam(contentType: string | null): string | null {
  if (!contentType) return null;
  const m = /;\s*charset\s*=\s*["']?([^"';\s]+)/i.exec(contentType);
  return m ? m[1] : null;
}

function bomEncoding(head: Uint8Array): string | null {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return "utf-8";
  if (head[0] === 0xfe && head[1] === 0xff) return "utf-16be";
  if (head[0] === 0xff && head[1] === 0xfe) return "utf-16le";
  return null;
}

/** The encoding named by a `<meta>` in `head`, or `null`. */
export function prescanMeta(head: Uint8Array): string | null {
  const text = latin1.decode(head.subarray(0, PRESCAN_BYTES));
  const m = META_CHARSET.exec(text) ?? META_CONTENT_FIRST.exec(text);
  const label = m ? (m[1] ?? m[2]) : null;
  const enc = encodingFor(label);
  // HTML: a <meta> claiming UTF-16 means UTF-8 (the bytes were ASCII-compatible to be read).
  if (enc === "utf-16le" || enc === "utf-16be") return "utf-8";
  if (enc === "x-user-defined") return "windows-1252";
  return enc;
}

/** The encoding a document declares (BOM, header, `<meta>`), or `null` when it declares none. */
export function declaredCharset(contentType: string | null, head: Uint8Array): string | null {
  return bomEncoding(head) ?? encodingFor(charsetParam(contentType)) ?? prescanMeta(head);
}
