import assert from "node:assert/strict";
import zlib from "node:zlib";
import { contentCodings } from "../../src/net/content_codings.ts";
import { decodeBody } from "../../src/net/decode_body.ts";

const TEXT = "decode me, then find the links ".repeat(3000);
const encoders: Record<string, (b: string) => Uint8Array> = {
  gzip: (b) => new Uint8Array(zlib.gzipSync(b)),
  deflate: (b) => new Uint8Array(zlib.deflateSync(b)),
  br: (b) => new Uint8Array(zlib.brotliCompressSync(b)),
};

/** A body stream of `bytes`, then `end` (null: a clean end). */
function body(bytes: Uint8Array, end: Error | null = null): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      c.enqueue(bytes);
      if (end === null) c.close();
      else c.error(end);
    },
  });
}

/** The decoded text, or the error; fails the test if neither comes within 5 s (a hang). */
async function settle(stream: ReadableStream<Uint8Array>): Promise<string | Error> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("the decoded body neither ended nor errored")), 5000);
  });
  try {
    return await Promise.race([
      new Response(stream).text().catch((e: Error) => e),
      hang,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const signal = () => new AbortController().signal;

for (const coding of Object.keys(encoders)) {
  Deno.test(`decodeBody() ends a corrupt ${coding} body with an error naming the coding`, async () => {
    const bytes = encoders[coding](TEXT);
    bytes.fill(0xff, 8, 48); // the compressed data itself is damaged
    const out = await settle(decodeBody(body(bytes), [coding], signal()));
    assert.ok(out instanceof TypeError, `got ${typeof out === "string" ? "text" : out}`);
    assert.match(out.message, new RegExp(`^Corrupt ${coding} body: `));
  });

  Deno.test(`decodeBody() ends a ${coding} body that is not ${coding} at all with an error`, async () => {
    const garbage = new TextEncoder().encode(
      "<html>plain text sent as compressed</html>".repeat(4),
    );
    const out = await settle(decodeBody(body(garbage), [coding], signal()));
    assert.ok(out instanceof TypeError, `got ${typeof out === "string" ? "text" : out}`);
    assert.match(out.message, new RegExp(`^Corrupt ${coding} body: `));
  });

  Deno.test(`decodeBody() passes on the error of a ${coding} body cut off mid-stream`, async () => {
    const bytes = encoders[coding](TEXT);
    const cut = new TypeError("Connection closed before the end of the body");
    const out = await settle(decodeBody(body(bytes.subarray(0, 40), cut), [coding], signal()));
    assert.equal(out, cut);
  });

  Deno.test(`decodeBody() decodes a ${coding} stream that stops early as far as it goes`, async () => {
    // The HTTP framing was complete; only the compressed data stops (no trailer or last
    // block): browsers and undici's fetch show what there is, and so does skein.
    const bytes = encoders[coding](TEXT);
    const out = await settle(
      decodeBody(body(bytes.subarray(0, bytes.length - 6)), [coding], signal()),
    );
    assert.equal(typeof out, "string", `got ${out}`);
    assert.ok(TEXT.startsWith(out as string), "a prefix of the text");
  });
}

Deno.test("decodeBody() undoes stacked codings in order and contentCodings() lists them", async () => {
  const codings = contentCodings("gzip, br")!;
  assert.deepEqual(codings, ["br", "gzip"]);
  const bytes = new Uint8Array(zlib.brotliCompressSync(zlib.gzipSync(TEXT)));
  assert.equal(await settle(decodeBody(body(bytes), codings, signal())), TEXT);
  assert.equal(contentCodings("identity"), null);
  assert.equal(contentCodings("gzip, zstd"), null, "one unknown coding: passed on as it is");
});

Deno.test("decodeBody() errors with the abort reason", async () => {
  const ac = new AbortController();
  const reason = new Error("stop");
  const stalled = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(encoders.gzip(TEXT).subarray(0, 100));
    },
  });
  const decoded = decodeBody(stalled, ["gzip"], ac.signal);
  const reader = decoded.getReader();
  const first = await reader.read();
  assert.equal(first.done, false);
  const next = reader.read();
  ac.abort(reason);
  await assert.rejects(next, (e) => e === reason);
});
