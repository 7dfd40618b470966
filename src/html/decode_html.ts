/**
 * Decodes the byte chunks of an HTML document to text, and says in which
 * encoding. The encoding is the one the document declares (byte order mark,
 * `Content-Type` charset, `<meta>` in the first 1024 bytes; see
 * `sniff_charset.ts`). When it declares none, the bytes decide (the HTML
 * standard leaves this step to the implementation and names windows-1252 as
 * the usual fallback): at the first chunk holding a non-ASCII byte, the
 * document is UTF-8 if the rest of that chunk is valid UTF-8 (a sequence cut
 * by the chunk's end counts as valid, unless the document ends there), and
 * windows-1252 otherwise. Up to there the text is ASCII, which both read
 * alike, so nothing is held back; a document of ASCII only is UTF-8.
 *
 * @example
 * ```ts
 * import { HtmlDecoder } from "./decode_html.ts";
 * async function* bytes() { yield new Uint8Array([0x3c, 0x70, 0x3e, 0x63, 0x61, 0x66, 0xe9]); }
 * const decoder = new HtmlDecoder(null);
 * let text = "";
 * for await (const s of decoder.decode(bytes())) text += s;
 * // text === "<p>café", decoder.encoding === "windows-1252"
 * ```
 * @module
 */
import { declaredCharset, PRESCAN_BYTES } from "./sniff_charset.ts";

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const c = new Uint8Array(a.byteLength + b.byteLength);
  c.set(a);
  c.set(b, a.byteLength);
  return c;
}

const NON_ASCII = /[\u0080-\uffff]/;

/** Whether `bytes` are UTF-8; with `more`, a sequence cut at their end may go on in later bytes. */
function isValidUtf8(bytes: Uint8Array, more: boolean): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes, { stream: more });
    return true;
  } catch {
    return false;
  }
}

const ascii = new TextDecoder("windows-1252");

/**
 * Decoders for whole documents, by label. A decode without `stream` keeps no
 * state, so one decoder serves every document in its encoding (making one
 * per page was measurable in the static crawl's profile).
 */
const wholeDecoders = new Map<string, TextDecoder>();

function wholeDecoder(label: string): TextDecoder {
  let d = wholeDecoders.get(label);
  if (d === undefined) {
    d = new TextDecoder(label);
    if (wholeDecoders.size >= 64) wholeDecoders.clear();
    wholeDecoders.set(label, d);
  }
  return d;
}

/** Decodes one document; see the module doc. */
export class HtmlDecoder {
  #contentType: string | null;
  #encoding: string | null = null;

  /** @param contentType the response's `Content-Type`, if any */
  constructor(contentType: string | null) {
    this.#contentType = contentType;
  }

  /**
   * The canonical name of the encoding in use (`utf-8`, `windows-1252`,
   * `shift_jis`, …), once it is known: at the latest when
   * {@linkcode HtmlDecoder.decode} has ended. `utf-8` before that.
   */
  get encoding(): string {
    return this.#encoding ?? "utf-8";
  }

  /** Yields the text of `chunks`, in order; see the module doc. */
  async *decode(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
    let decoder: TextDecoder | null = null;
    let head: Uint8Array | null = new Uint8Array(0);
    let declared: string | null = null;
    for await (const value of chunks) {
      let bytes = value;
      if (head !== null) {
        head = head.byteLength === 0 ? value : concat(head, value);
        if (head.byteLength < PRESCAN_BYTES) continue;
        bytes = head;
        head = null;
        declared = declaredCharset(this.#contentType, bytes);
        if (declared !== null) decoder = this.#use(declared);
      }
      if (decoder === null) {
        // windows-1252 maps each byte to one character, and only bytes from
        // 0x80 up to non-ASCII ones: both searches are native.
        const latin = ascii.decode(bytes);
        const at = latin.search(NON_ASCII);
        if (at === -1) {
          yield latin;
          continue;
        }
        decoder = this.#use(isValidUtf8(bytes.subarray(at), true) ? "utf-8" : "windows-1252");
      }
      const text = decoder.decode(bytes, { stream: true });
      if (text) yield text;
    }
    if (head !== null) {
      // A document shorter than the prescan window.
      const text = this.#short(head);
      if (text) yield text;
      return;
    }
    if (decoder === null) {
      this.#use("utf-8"); // ASCII only
      return;
    }
    const tail = decoder.decode();
    if (tail) yield tail;
  }

  /**
   * The text of a whole document at once: the same chunks of text (one, or
   * two when the bytes end inside a character), in the same encoding, as
   * {@linkcode HtmlDecoder.decode} yields for these bytes in one chunk,
   * without its promises.
   */
  decodeWhole(bytes: Uint8Array): string[] {
    if (bytes.byteLength < PRESCAN_BYTES) return [this.#short(bytes)];
    let label = declaredCharset(this.#contentType, bytes);
    if (label === null) {
      const latin = ascii.decode(bytes);
      const at = latin.search(NON_ASCII);
      if (at === -1) {
        this.#use("utf-8");
        return [latin];
      }
      label = isValidUtf8(bytes.subarray(at), true) ? "utf-8" : "windows-1252";
    }
    const d = wholeDecoder(label);
    this.#encoding = d.encoding;
    // UTF-8 bytes that end in an ASCII byte end on a whole character: one chunk, in one
    // call (a streaming call and its end cost 30-40 % more on a 20 KB page). Otherwise as
    // `decode` does: a streaming decoder, then its end (an incomplete last character comes
    // as a chunk of its own, and the parsers see the same chunks either way).
    if (d.encoding === "utf-8" && bytes[bytes.byteLength - 1] < 0x80) return [d.decode(bytes)];
    const text = d.decode(bytes, { stream: true });
    const end = d.decode();
    return end === "" ? [text] : [text, end];
  }

  /** The text of a document shorter than the prescan window. */
  #short(head: Uint8Array): string {
    const declared = declaredCharset(this.#contentType, head);
    const at = ascii.decode(head).search(NON_ASCII);
    const label = declared ??
      (at === -1 || isValidUtf8(head.subarray(at), false) ? "utf-8" : "windows-1252");
    const d = wholeDecoder(label);
    this.#encoding = d.encoding;
    return d.decode(head);
  }

  #use(label: string): TextDecoder {
    const d = new TextDecoder(label);
    this.#encoding = d.encoding;
    return d;
  }
}
