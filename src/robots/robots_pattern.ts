/**
 * The path patterns of robots.txt rules and the paths they are matched
 * against, in one canonical form (RFC 9309 §2.2.2 and §2.2.3): non-ASCII
 * characters, ASCII characters a URI may not hold, and `'` (which the URL
 * parser escapes in queries) are percent-encoded (UTF-8, upper-case hex); escapes of unreserved characters (`%7E`) are
 * decoded; other escapes keep their meaning and get upper-case hex. Reserved
 * characters (`/?#[]@!$&()*+,;=:`) stay as they are on both sides, so
 * `Disallow: /search?f[0]=` matches `/search?f[0]=x`, and `Disallow: /%7Ejoe/`
 * matches `/~joe/x`.
 *
 * `*` matches any sequence of characters and a `$` ending the pattern
 * anchors it at the end of the path; the match starts at the first character
 * of the path.
 *
 * @example
 * ```ts
 * import { canonicalRobotsPath, robotsPatternMatches } from "./robots_pattern.ts";
 * canonicalRobotsPath("/%7ejoe/caf\u00e9|x"); // "/~joe/caf%C3%A9%7Cx"
 * robotsPatternMatches("/*.pdf$", "/a/b.pdf"); // true
 * robotsPatternMatches("/*.pdf$", "/a/b.pdf?x"); // false
 * ```
 * @module
 */

const HEX = "0123456789ABCDEF";

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

function isUnreserved(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) ||
    c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e;
}

/** ASCII characters kept literally: unreserved, reserved (gen- and sub-delims) and `%`. */
const KEEP = (() => {
  const t = new Uint8Array(128);
  for (let c = 0; c < 128; c++) if (isUnreserved(c)) t[c] = 1;
  // `'` is left out: the URL parser escapes it in queries, so it is always `%27` here.
  for (const ch of ":/?#[]@!$&()*+,;=%") t[ch.charCodeAt(0)] = 1;
  return t;
})();

/** A path already in canonical form: only kept ASCII, no `%`. */
const PLAIN = /^[A-Za-z0-9\-._~:/?#[\]@!$&()*+,;=]*$/;

function pct(b: number): string {
  return "%" + HEX[b >> 4] + HEX[b & 15];
}

const encoder = new TextEncoder();

/**
 * The canonical form of a robots.txt path or pattern, or of the path and
 * query of a URL; see the module doc. `*` and `$` are left as they are.
 */
export function canonicalRobotsPath(s: string): string {
  if (PLAIN.test(s)) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 /* % */ && i + 2 < s.length) {
      const h = hexVal(s.charCodeAt(i + 1));
      const l = hexVal(s.charCodeAt(i + 2));
      if (h >= 0 && l >= 0) {
        const b = h * 16 + l;
        out += isUnreserved(b) ? String.fromCharCode(b) : "%" + HEX[h] + HEX[l];
        i += 2;
        continue;
      }
    }
    if (c < 128) {
      out += KEEP[c] ? s[i] : pct(c);
      continue;
    }
    // One code point (a lone surrogate becomes U+FFFD, as the URL parser does).
    const cp = s.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    if (cp > 0xffff) i++;
    for (const b of encoder.encode(ch)) out += pct(b);
  }
  return out;
}

/**
 * Whether the canonical `pattern` (with `*` and a final `$`) matches the
 * start of the canonical `path`.
 */
export function robotsPatternMatches(pattern: string, path: string): boolean {
  const star = pattern.indexOf("*");
  const anchored = pattern.endsWith("$");
  if (star === -1 && !anchored) return path.startsWith(pattern);
  const body = anchored ? pattern.slice(0, -1) : pattern;
  if (star === -1) return path === body;
  // Positions of path reachable after each pattern character, smallest first
  // (the algorithm of Google's reference parser, robots.cc).
  let pos: number[] = [0];
  for (let p = 0; p < body.length; p++) {
    const pc = body.charCodeAt(p);
    if (pc === 0x2a /* * */) {
      const from = pos[0];
      pos = [];
      for (let i = from; i <= path.length; i++) pos.push(i);
      continue;
    }
    const next: number[] = [];
    for (const i of pos) if (i < path.length && path.charCodeAt(i) === pc) next.push(i + 1);
    if (next.length === 0) return false;
    pos = next;
  }
  return anchored ? pos[pos.length - 1] === path.length : true;
}
