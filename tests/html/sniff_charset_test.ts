import assert from "node:assert/strict";
import { charsetParam, prescanMeta, sniffCharset } from "../../src/html/sniff_charset.ts";

Deno.test("sniffCharset() prefers BOM, then header, then meta, then UTF-8", () => {
  const meta = new TextEncoder().encode('<meta charset="windows-1251">');
  const bom = new Uint8Array([0xef, 0xbb, 0xbf, 0x3c]);
  assert.equal(sniffCharset("text/html; charset=Shift_JIS", bom), "utf-8");
  assert.equal(sniffCharset("text/html; charset=Shift_JIS", meta), "shift_jis");
  assert.equal(sniffCharset("text/html", meta), "windows-1251");
  assert.equal(sniffCharset("text/html; charset=bogus", meta), "windows-1251");
  assert.equal(sniffCharset(null, new Uint8Array()), "utf-8");
  assert.equal(charsetParam('text/html; charset="ISO-8859-1"'), "ISO-8859-1");
  const httpEquiv = new TextEncoder().encode(
    '<meta http-equiv="Content-Type" content="text/html; charset=euc-kr">',
  );
  assert.equal(prescanMeta(httpEquiv), "euc-kr");
});
