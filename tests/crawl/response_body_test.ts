import assert from "node:assert/strict";
import { extractPage } from "../../src/html/extract_page.ts";
import { bodyText } from "../../src/crawl/response_body.ts";
import { CrawlError } from "../../src/crawl/crawl_error.ts";

Deno.test("bodyText() decodes windows-1251 across chunk boundaries", async () => {
  // "Привет" in windows-1251, behind a meta charset, split mid-document
  const bytes = new Uint8Array([
    ...new TextEncoder().encode('<meta charset="windows-1251"><title>'),
    0xcf,
    0xf0,
    0xe8,
    0xe2,
    0xe5,
    0xf2,
    ...new TextEncoder().encode("</title>"),
  ]);
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(bytes.subarray(0, 40));
      c.enqueue(bytes.subarray(40));
      c.close();
    },
  });
  const res = new Response(body, { headers: { "content-type": "text/html" } });
  const info = await extractPage(
    bodyText(res, { maxBytes: 1e6, counter: { bytes: 0 } }),
    "http://a.test/",
  );
  assert.equal(info.title, "Привет");
});

Deno.test("bodyText() stops at maxBytes with too_large and cancels the body", async () => {
  let cancelled = false;
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      sent += 4096;
      c.enqueue(new Uint8Array(4096).fill(0x20));
    },
    cancel() {
      cancelled = true;
    },
  }, { highWaterMark: 0 });
  const res = new Response(body, { headers: { "content-type": "text/html" } });
  const counter = { bytes: 0 };
  await assert.rejects(
    async () => {
      for await (const _ of bodyText(res, { maxBytes: 10_000, counter })) { /* read */ }
    },
    (e) => e instanceof CrawlError && e.code === "too_large",
  );
  assert.ok(cancelled);
  assert.ok(sent <= 16384, `read ${sent} bytes for a 10000-byte cap`);
});

Deno.test("bodyText() decodes an undeclared page that is not UTF-8 as windows-1252", async () => {
  const bytes = Uint8Array.from(
    "<title>Caf\xe9</title><a href='/caf\xe9'>x</a>",
    (c) => c.charCodeAt(0),
  );
  const res = new Response(bytes, { headers: { "content-type": "text/html" } });
  const info = await extractPage(
    bodyText(res, { maxBytes: 1e6, counter: { bytes: 0 } }),
    "http://a.test/",
  );
  assert.equal(info.title, "Café");
  assert.deepEqual(info.links, ["http://a.test/caf%C3%A9"], "not %EF%BF%BD");
});
