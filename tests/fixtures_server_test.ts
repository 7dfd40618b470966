import assert from "node:assert/strict";
import { brotliDecompressSync } from "node:zlib";
import { createGauge, type FixtureServer, startFixtureServer } from "../fixtures/server.ts";
import { parseServeArgs } from "../fixtures/serve.ts";
import { waitUntil, within } from "./_wait_until.ts";

const MIB = 1024 * 1024;

/** Fetches without following redirects and reads the whole body. */
async function get(server: FixtureServer, path: string, init: RequestInit = {}) {
  const res = await fetch(`${server.origin}${path}`, { redirect: "manual", ...init });
  const bytes = await res.bytes();
  return { res, bytes, text: new TextDecoder().decode(bytes) };
}

function title(text: string): string | undefined {
  return /<title>(.*?)<\/title>/s.exec(text)?.[1];
}

async function countBytes(body: ReadableStream<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const chunk of body) n += chunk.length;
  return n;
}

Deno.test("startFixtureServer() replaces {{origin}} in HTML and serves the site", async () => {
  await using server = startFixtureServer();
  assert.match(server.origin, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(server.origin, `http://${server.hostname}:${server.port}`);

  const { res, text } = await get(server, "/index.html");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/html");
  assert.equal(title(text), "Home");
  assert.ok(text.includes(`href="${server.origin}/c.html"`));
  assert.ok(!text.includes("{{origin}}"));
  for (const link of ["a.html", "/b/index.html", "A.HTML#frag", 'rel="nofollow"']) {
    assert.ok(text.includes(link), link);
  }

  for (
    const [path, expected] of [
      ["/a.html", "A"],
      ["/a.html?x=1", "A"],
      ["/b/index.html", "B"],
      ["/c.html", "C"],
      ["/deep/d.html", "D"],
      ["/area.html", "Area"],
      ["/~user/page.html", "Tilde"],
      ["/%7Euser/page.html", "Tilde"],
    ]
  ) {
    const page = await get(server, path);
    assert.equal(page.res.status, 200, path);
    assert.equal(title(page.text), expected, path);
  }
  assert.match((await get(server, "/b/index.html")).text, /<base href="\/deep\/">/);
});

Deno.test("startFixtureServer() serves paths case-sensitively and 404s unknown ones", async () => {
  await using server = startFixtureServer();
  for (const path of ["/A.HTML", "/nope.html", "/h/nope", "/private/", "/../server.ts"]) {
    const { res } = await get(server, path);
    assert.equal(res.status, 404, path);
    assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8", path);
  }
});

Deno.test("startFixtureServer() serves each encoding with its stated content type", async () => {
  await using server = startFixtureServer();

  const win = await get(server, "/win1251.html");
  assert.equal(win.res.headers.get("content-type"), "text/html");
  const winText = new TextDecoder("windows-1251").decode(win.bytes);
  assert.equal(title(winText), "Привет мир");
  assert.match(winText, /<meta charset="windows-1251">/);
  assert.match(winText, /href="\/latin1.html"/);

  const sjis = await get(server, "/sjis.html");
  assert.equal(sjis.res.headers.get("content-type"), "text/html; charset=Shift_JIS");
  const sjisText = new TextDecoder("shift_jis").decode(sjis.bytes);
  assert.equal(title(sjisText), "日本語のページ");
  assert.doesNotMatch(sjisText, /charset=/);

  const latin = await get(server, "/latin1.html");
  assert.equal(latin.res.headers.get("content-type"), "text/html; charset=iso-8859-1");
  const latinText = new TextDecoder("iso-8859-1").decode(latin.bytes);
  assert.equal(title(latinText), "Café");
  assert.ok(latinText.includes("€"), "windows-1252 bytes decode as the WHATWG latin1 does");
  assert.match(latinText, /href="\/bom.html"/);

  const bom = await get(server, "/bom.html");
  assert.equal(bom.res.headers.get("content-type"), "text/html; charset=windows-1251");
  assert.deepEqual([...bom.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  assert.equal(title(new TextDecoder().decode(bom.bytes)), "BOM ✓");
});

Deno.test("startFixtureServer() serves non-HTML files with their types", async () => {
  await using server = startFixtureServer();
  const png = await get(server, "/image.png");
  assert.equal(png.res.headers.get("content-type"), "image/png");
  assert.deepEqual([...png.bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

  const txt = await get(server, "/wrong-type.txt");
  assert.equal(txt.res.headers.get("content-type"), "text/plain");
  assert.match(txt.text, /<a href="\/never2.html">/);

  const robots = await get(server, "/robots.txt");
  assert.equal(robots.res.headers.get("content-type"), "text/plain");
  assert.match(robots.text, /User-agent: \*\nDisallow: \/private\//);
  assert.match(robots.text, /User-agent: skein-blocked\nDisallow: \/\n/);
});

Deno.test("startFixtureServer() overrides robots.txt body, status and delay", async () => {
  {
    await using server = startFixtureServer({ robots: "User-agent: *\nAllow: /\n" });
    assert.equal((await get(server, "/robots.txt")).text, "User-agent: *\nAllow: /\n");
  }
  for (const robotsStatus of [404, 500, 503]) {
    await using server = startFixtureServer({ robots: "ignored", robotsStatus });
    const { res, text } = await get(server, "/robots.txt");
    assert.equal(res.status, robotsStatus);
    assert.doesNotMatch(text, /ignored/);
  }
  {
    await using server = startFixtureServer({ robotsDelayMs: 150 });
    const start = performance.now();
    const { res } = await get(server, "/robots.txt");
    assert.equal(res.status, 200);
    assert.ok(performance.now() - start >= 140);
  }
});

Deno.test("startFixtureServer() counts hits by pathname and search, and reset() clears them", async () => {
  await using server = startFixtureServer();
  await get(server, "/a.html");
  await get(server, "/a.html");
  await get(server, "/a.html?x=1");
  await get(server, "/missing.html");
  assert.equal(server.hits.get("/a.html"), 2);
  assert.equal(server.hits.get("/a.html?x=1"), 1);
  assert.equal(server.hits.get("/missing.html"), 1);
  server.reset();
  assert.equal(server.hits.size, 0);
  assert.equal(server.gauge.maxInFlight, 0);
});

Deno.test("/h/slow-headers waits before answering", async () => {
  await using server = startFixtureServer();
  const start = performance.now();
  const { res, text } = await get(server, "/h/slow-headers?ms=150");
  assert.ok(performance.now() - start >= 140);
  assert.equal(res.status, 200);
  assert.equal(title(text), "Slow headers");
});

Deno.test("/h/drip sends one byte at a time", async () => {
  await using server = startFixtureServer();
  const start = performance.now();
  const res = await fetch(`${server.origin}/h/drip?bytes=5&ms=30`);
  assert.equal(res.headers.get("content-type"), "text/html");
  const chunks: number[] = [];
  for await (const chunk of res.body!) chunks.push(chunk.length);
  assert.equal(chunks.reduce((a, b) => a + b, 0), 5);
  assert.ok(chunks.length >= 3, `expected separate chunks, got ${chunks}`);
  assert.ok(performance.now() - start >= 110);
});

Deno.test("/h/huge streams the stated size lazily", async () => {
  await using server = startFixtureServer();
  const res = await fetch(`${server.origin}/h/huge?mb=2`);
  assert.equal(res.headers.get("content-type"), "text/html");
  assert.equal(await countBytes(res.body!), 2 * MIB);
  assert.equal(server.sentBytes.get("/h/huge"), 2 * MIB);

  const big = await fetch(`${server.origin}/h/huge?mb=64`);
  const reader = big.body!.getReader();
  const first = await reader.read();
  assert.match(new TextDecoder().decode(first.value), /^<!doctype html>/);
  await reader.cancel();
  await waitUntil(() => server.localGauge.inFlight === 0, "the cancelled response to end");
  const sent = server.sentBytes.get("/h/huge")!;
  assert.ok(sent < 16 * MIB, `sent ${sent} bytes of 64 MiB to a client that cancelled`);
});

Deno.test("/h/bomb decompresses to the stated size", async () => {
  await using server = startFixtureServer();
  // `accept-encoding: identity` keeps fetch from decompressing for us.
  const headers = { "accept-encoding": "identity" };

  const gzip = await fetch(`${server.origin}/h/bomb`, { headers });
  assert.equal(gzip.headers.get("content-encoding"), "gzip");
  assert.equal(gzip.headers.get("content-type"), "text/html");
  const compressed = await gzip.bytes();
  assert.ok(compressed.length < MIB, `compressed size ${compressed.length}`);
  const stream = new Blob([compressed]).stream().pipeThrough(new DecompressionStream("gzip"));
  assert.equal(await countBytes(stream), 100 * MIB);

  const br = await fetch(`${server.origin}/h/bomb?mb=8&enc=br`, { headers });
  assert.equal(br.headers.get("content-encoding"), "br");
  const brBytes = await br.bytes();
  assert.ok(brBytes.length < 64 * 1024);
  const plain = brotliDecompressSync(brBytes);
  assert.equal(plain.length, 8 * MIB);
  assert.match(new TextDecoder().decode(plain.subarray(0, 40)), /^<!doctype html>/);
});

Deno.test("/h/loop and /h/chain redirect as stated", async () => {
  await using server = startFixtureServer();
  const a = await get(server, "/h/loop/a");
  assert.equal(a.res.status, 302);
  assert.equal(a.res.headers.get("location"), "/h/loop/b");
  const b = await get(server, "/h/loop/b");
  assert.equal(b.res.headers.get("location"), "/h/loop/a");

  let path = "/h/chain?n=3";
  const hops: number[] = [];
  for (;;) {
    const { res, text } = await get(server, path);
    hops.push(res.status);
    if (res.status !== 301) {
      assert.equal(title(text), "Chain end");
      assert.match(text, /href="\/h\/chain-child.html"/);
      break;
    }
    path = res.headers.get("location")!;
  }
  assert.deepEqual(hops, [301, 301, 301, 200]);
  assert.equal(path, "/h/chain?n=0");
  assert.equal((await get(server, "/h/chain-child.html")).res.status, 200);
});

Deno.test("/h/flaky fails the first requests per key, then recovers", async () => {
  await using server = startFixtureServer();
  const path = "/h/flaky?key=k&fail=2&status=429&retryAfter=1";
  for (let i = 0; i < 2; i++) {
    const { res } = await get(server, path);
    assert.equal(res.status, 429);
    assert.equal(res.headers.get("retry-after"), "1");
  }
  const ok = await get(server, path);
  assert.equal(ok.res.status, 200);
  assert.equal(title(ok.text), "Recovered");

  const other = await get(server, "/h/flaky?key=other");
  assert.equal(other.res.status, 503);
  assert.equal(other.res.headers.get("retry-after"), null);

  server.reset();
  assert.equal((await get(server, path)).res.status, 429);
});

Deno.test("/h/trap links ever deeper, deterministically", async () => {
  await using server = startFixtureServer();
  const first = await get(server, "/h/trap/7");
  const again = await get(server, "/h/trap/7?sid=whatever");
  const links = [...first.text.matchAll(/href="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(links.length, 2);
  assert.equal(links[0], "/h/trap/8");
  assert.match(links[1], /^\/h\/trap\/8\?sid=\w+$/);
  assert.equal(again.text, first.text);
  assert.notEqual((await get(server, "/h/trap/8")).text, first.text);
});

Deno.test("/h/slow and the gauges measure concurrency", async () => {
  // 300 ms answers: parallel requests overlap at the server even on a loaded machine.
  const shared = createGauge();
  await using one = startFixtureServer({ gauge: shared });
  await using two = startFixtureServer({ gauge: shared });

  const fanout = await get(one, "/h/fanout?n=5&ms=300");
  const links = [...fanout.text.matchAll(/href="([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(links, [1, 2, 3, 4, 5].map((i) => `/h/slow/${i}?ms=300`));
  one.reset();
  two.reset();

  const pages = await Promise.all(links.map((link) => get(one, link)));
  assert.deepEqual(pages.map((p) => title(p.text)), ["1", "2", "3", "4", "5"]);
  assert.equal(one.localGauge.maxInFlight, 5);
  assert.equal(one.localGauge.inFlight, 0);

  await Promise.all([
    get(one, "/h/slow/a?ms=300"),
    get(one, "/h/slow/b?ms=300"),
    get(two, "/h/slow/c?ms=300"),
  ]);
  assert.equal(two.localGauge.maxInFlight, 1);
  assert.equal(shared.maxInFlight, 5);
  shared.maxInFlight = 0;
  await Promise.all([get(one, "/h/slow/a?ms=300"), get(two, "/h/slow/b?ms=300")]);
  assert.equal(shared.maxInFlight, 2);
  assert.equal(shared.inFlight, 0);
});

Deno.test("/h/types serve misleading content types", async () => {
  await using server = startFixtureServer();
  const json = await get(server, "/h/types/json");
  assert.equal(json.res.headers.get("content-type"), "application/json");
  assert.match(json.text, /<a href=\\"\/x\\">/);

  const none = await get(server, "/h/types/none");
  assert.equal(none.res.headers.get("content-type"), null);
  assert.equal(title(none.text), "No content type");

  const binary = await fetch(`${server.origin}/h/types/binary`);
  assert.equal(binary.headers.get("content-type"), "application/octet-stream");
  const reader = binary.body!.getReader();
  await reader.read();
  assert.ok(server.localGauge.inFlight >= 1);
  await reader.cancel();
  await waitUntil(() => server.localGauge.inFlight === 0, "the cancelled response to end");
  const sent = server.sentBytes.get("/h/types/binary")!;
  assert.ok(sent > 0 && sent < 10 * MIB, `sent ${sent} bytes`);

  const full = await fetch(`${server.origin}/h/types/binary?mb=1`);
  assert.equal(await countBytes(full.body!), MIB);
});

Deno.test("/h/redirect and /h/status answer as asked", async () => {
  await using server = startFixtureServer();
  const relative = await get(server, "/h/redirect?to=/a.html");
  assert.equal(relative.res.status, 302);
  assert.equal(relative.res.headers.get("location"), "/a.html");
  const absolute = await get(server, `/h/redirect?to=${encodeURIComponent("http://x.invalid/y")}`);
  assert.equal(absolute.res.headers.get("location"), "http://x.invalid/y");
  const offsite = await get(server, "/h/redirect-offsite");
  assert.equal(offsite.res.headers.get("location"), "http://offsite.invalid/x");

  for (const code of [200, 403, 410, 418, 500, 503]) {
    const { res } = await get(server, `/h/status/${code}`);
    assert.equal(res.status, code);
    assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
  }
  const empty = await get(server, "/h/status/204");
  assert.equal(empty.res.status, 204);
  assert.equal(empty.bytes.length, 0);
  assert.equal((await get(server, "/h/status/999")).res.status, 400);
});

Deno.test("close() returns promptly while /h/drip is mid-stream", async () => {
  const server = startFixtureServer();
  const res = await fetch(`${server.origin}/h/drip?bytes=1000&ms=50`);
  const reader = res.body!.getReader();
  await reader.read();
  assert.equal(server.localGauge.inFlight, 1);

  const start = performance.now();
  const rest = (async () => {
    let n = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return n;
      n += value.length;
    }
  })();
  await within(server.close(), "close() to return", 20_000);
  // The drip would take 50 s; tests rely on close() ending it at once.
  const took = performance.now() - start;
  assert.ok(took < 5000, `close() took ${Math.round(took)} ms`);
  assert.ok(await rest < 999, "the drip was cut short");
  assert.equal(server.localGauge.inFlight, 0);
  await server.close(); // Idempotent.
});

Deno.test("close() also ends /h/huge, /h/slow and /h/slow-headers early", async () => {
  const server = startFixtureServer();
  const huge = await fetch(`${server.origin}/h/huge?mb=1024`);
  const reading = countBytes(huge.body!);
  const waiting = [
    fetch(`${server.origin}/h/slow/x?ms=60000`).then((r) => r.bytes()),
    fetch(`${server.origin}/h/slow-headers?ms=60000`).then((r) => r.bytes()),
  ];
  await waitUntil(() => server.localGauge.inFlight === 3, "the three requests are in the server");
  const start = performance.now();
  await within(server.close(), "close() to return", 20_000);
  // Each would take a minute; tests rely on close() ending them at once.
  const took = performance.now() - start;
  assert.ok(took < 5000, `close() took ${Math.round(took)} ms`);
  assert.ok(await reading < 1024 * MIB);
  await Promise.all(waiting);
});

Deno.test("startFixtureServer() closes when its signal aborts", async () => {
  const controller = new AbortController();
  const server = startFixtureServer({ signal: controller.signal, hostname: "localhost" });
  assert.equal(server.origin, `http://localhost:${server.port}`);
  assert.equal((await get(server, "/c.html")).res.status, 200);
  controller.abort();
  try {
    // No close() call: the abort alone must stop the listener.
    await waitUntil(async () => {
      try {
        (await Deno.connect({ hostname: server.hostname, port: server.port })).close();
        return false;
      } catch {
        return true;
      }
    }, "the listener refuses connections");
  } finally {
    await server.close();
  }
  await assert.rejects(fetch(`${server.origin}/c.html`));
});

Deno.test("parseServeArgs() reads --port and --hostname", () => {
  assert.deepEqual(parseServeArgs([]), { hostname: "127.0.0.1", port: 0 });
  assert.deepEqual(parseServeArgs(["--port=8080", "--hostname", "0.0.0.0"]), {
    hostname: "0.0.0.0",
    port: 8080,
  });
  assert.throws(() => parseServeArgs(["--port", "x"]), RangeError);
  assert.throws(() => parseServeArgs(["--verbose"]), TypeError);
  assert.throws(() => parseServeArgs(["--port"]), TypeError);
});
