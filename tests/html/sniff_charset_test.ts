import assert from "node:assert/strict";
import { charsetParam, declaredCharset, prescanMeta } from "../../src/html/sniff_charset.ts";

Deno.test("declaredCharset() prefers BOM, then header, then meta, else none", () => {
  const meta = new TextEncoder().encode('<meta charset="windows-1251">');
  const bom = new Uint8Array([0xef, 0xbb, 0xbf, 0x3c]);
  assert.equal(declaredCharset("text/html; charset=Shift_JIS", bom), "utf-8");
  assert.equal(declaredCharset("text/html; charset=Shift_JIS", meta), "shift_jis");
  assert.equal(declaredCharset("text/html", meta), "windows-1251");
  assert.equal(declaredCharset("text/html; charset=bogus", meta), "windows-1251");
  assert.equal(declaredCharset(null, new Uint8Array()), null);
  assert.equal(charsetParam('text/html; charset="ISO-8859-1"'), "ISO-8859-1");
  const httpEquiv = new TextEncoder().encode(
    '<meta http-equiv="Content-Type" content="text/html; charset=euc-kr">',
  );
  assert.equal(prescanMeta(httpEquiv), "euc-kr");
});
