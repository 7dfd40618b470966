import assert from "node:assert/strict";
import http2 from "node:http2";
import zlib from "node:zlib";
import { createPinnedFetcher } from "../../src/net/pinned_fetcher.ts";
import { HttpClient } from "../../src/net/http_client.ts";
import { parseAllowNets } from "../../src/net/address_policy.ts";
import type { ResolvedAddress } from "../../src/net/resolver.ts";
import { crawl } from "../../src/crawl/crawl.ts";
import type { CrawlEvent, PageEvent } from "../../src/crawl/events.ts";
import { ignoreTls, makeCert } from "./_tls.ts";

const TEXT = "multiplexed ".repeat(2000);

/**
 * An HTTP/2-only server (`allowHTTP1: false`) on loopback with a certificate
 * for skein.test signed by the test CA. Counts sessions (connections) and
 * records every :path and :authority it is asked for.
 */
async function h2Server(tls: { cert: string; key: string }) {
  const paths: string[] = [];
  const authorities = new Set<string>();
  let sessions = 0;
  let closedSessions = 0;
  const server = http2.createSecureServer({ cert: tls.cert, key: tls.key, allowHTTP1: false });
  server.on("session", (s) => {
    sessions++;
    s.on("close", () => closedSessions++);
  });
  server.on("stream", (stream, headers) => {
    const path = headers[":path"] as string;
    paths.push(path);
    authorities.add(headers[":authority"] as string);
    const html = { "content-type": "text/html; charset=utf-8" };
    stream.on("error", () => {});
    if (path === "/" || path.startsWith("/page/")) {
      const n = path === "/" ? 0 : Number(path.slice(6));
      const links = n === 0
        ? Array.from({ length: 12 }, (_, i) => `<a href="/page/${i + 1}">${i + 1}</a>`).join("")
        : `<a href="/">home</a><a href="/missing">gone</a><a href="/moved">moved</a>`;
      stream.respond({ ":status": 200, ...html });
      stream.end(`<title>p${n}</title>${links}`);
    } else if (path === "/robots.txt") {
      stream.respond({ ":status": 200, "content-type": "text/plain" });
      stream.end("User-agent: *\nDisallow: /private\n");
    } else if (path === "/gzip") {
      stream.respond({ ":status": 200, "content-encoding": "gzip" });
      stream.end(zlib.gzipSync(TEXT));
    } else if (path === "/cookies") {
      stream.respond({ ":status": 201, "set-cookie": ["a=1", "b=2"] });
      stream.end("ok");
    } else if (path === "/moved") {
      stream.respond({ ":status": 301, location: "/page/1" });
      stream.end("moved");
    } else if (path === "/no-content") {
      stream.respond({ ":status": 204 });
      stream.end();
    } else if (path === "/endless") {
      stream.respond({ ":status": 200 });
      const chunk = new Uint8Array(16384);
      const push = () => {
        if (stream.destroyed || stream.closed) return;
        if (stream.write(chunk)) setTimeout(push, 1);
        else stream.once("drain", push);
      };
      push();
    } else if (path === "/echo") {
      stream.respond({ ":status": 200, "content-type": "application/json" });
      stream.end(JSON.stringify({ ua: headers["user-agent"], ae: headers["accept-encoding"] }));
    } else {
      stream.respond({ ":status": 404, ...html });
      stream.end("not here");
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    paths,
    authorities,
    get sessions() {
      return sessions;
    },
    get closedSessions() {
      return closedSessions;
    },
    async [Symbol.asyncDispose]() {
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** skein.test resolves to 127.0.0.1 for the fetcher only (the system resolver never knows it). */
const resolve = () => Promise.resolve<ResolvedAddress[]>([{ address: "127.0.0.1", family: 4 }]);
const loopback = { allowNets: parseAllowNets("127.0.0.1/32"), allowedPorts: null };
const init = (signal = new AbortController().signal) => ({
  headers: new Headers({ "user-agent": "skein-h2-test" }),
  signal,
});

/** Waits until `ok()` holds, or fails with `what` after 5 s. */
async function waitFor(ok: () => boolean, what: string): Promise<void> {
  const until = performance.now() + 5000;
  while (!ok()) {
    if (performance.now() > until) throw new Error(`Timed out waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

Deno.test({
  name:
    "createPinnedFetcher() speaks HTTP/2 to an HTTP/2-only server, many requests on one connection",
  ignore: ignoreTls,
  async fn() {
    const tls = await makeCert();
    await using srv = await h2Server(tls);
    const fetcher = createPinnedFetcher(loopback, { ca: tls.ca, resolve });
    try {
      const base = `https://skein.test:${srv.port}`;
      const pages = await Promise.all(
        Array.from({ length: 8 }, (_, i) => fetcher(`${base}/page/${i}`, init())),
      );
      for (const [i, res] of pages.entries()) {
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
        assert.match(await res.text(), new RegExp(`<title>p${i}</title>`));
      }
      const gz = await fetcher(`${base}/gzip`, init());
      assert.equal(gz.headers.get("content-encoding"), null);
      assert.equal(await gz.text(), TEXT);
      const cookies = await fetcher(`${base}/cookies`, init());
      assert.equal(cookies.status, 201);
      assert.deepEqual(cookies.headers.getSetCookie(), ["a=1", "b=2"]);
      await cookies.body?.cancel();
      const moved = await fetcher(`${base}/moved`, init());
      assert.equal(moved.status, 301);
      assert.equal(moved.headers.get("location"), "/page/1");
      await moved.body?.cancel();
      const empty = await fetcher(`${base}/no-content`, init());
      assert.equal(empty.status, 204);
      assert.equal(empty.body, null);
      const echo = await (await fetcher(`${base}/echo`, init())).json();
      assert.deepEqual(echo, { ua: "skein-h2-test", ae: "gzip, deflate, br" });
      assert.equal((await fetcher(`${base}/nowhere`, init())).status, 404);
      assert.equal(srv.sessions, 1, "one connection carried every request");
      assert.deepEqual([...srv.authorities], [`skein.test:${srv.port}`]);
    } finally {
      fetcher.close();
    }
    await waitFor(() => srv.closedSessions === 1, "close() ends the session");
  },
});

Deno.test({
  name: "createPinnedFetcher() over HTTP/2: an abort errors the body, a cancel keeps the session",
  ignore: ignoreTls,
  async fn() {
    const tls = await makeCert();
    await using srv = await h2Server(tls);
    await using fetcher = createPinnedFetcher(loopback, { ca: tls.ca, resolve });
    const base = `https://skein.test:${srv.port}`;
    const ac = new AbortController();
    const res = await fetcher(`${base}/endless`, init(ac.signal));
    const reader = res.body!.getReader();
    assert.ok((await reader.read()).value!.length > 0);
    const reason = new Error("enough");
    ac.abort(reason);
    await assert.rejects(reader.read(), (e) => e === reason);
    const again = await fetcher(`${base}/endless`, init());
    await again.body!.cancel();
    assert.equal((await fetcher(`${base}/page/3`, init())).status, 200);
    assert.equal(srv.sessions, 1);
    const aborted = AbortSignal.abort(new Error("before"));
    await assert.rejects(fetcher(`${base}/page/4`, init(aborted)), /before/);
  },
});

Deno.test({
  name:
    "crawl() gets every page of an HTTP/2-only server (robots.txt, redirects and 404s included)",
  ignore: ignoreTls,
  async fn() {
    const tls = await makeCert();
    await using srv = await h2Server(tls);
    await using fetcher = createPinnedFetcher(loopback, { ca: tls.ca, resolve });
    const events: CrawlEvent[] = [];
    for await (
      const e of crawl([`https://skein.test:${srv.port}/`], { maxDepth: 5 }, { fetcher })
    ) {
      events.push(e);
    }
    const pages = events.filter((e): e is PageEvent => e.type === "page");
    assert.equal(events.filter((e) => e.type === "error").length, 0);
    assert.equal(pages.filter((p) => p.status === 200).length, 14, "13 pages and /moved's target");
    assert.equal(pages.filter((p) => p.status === 404).length, 1);
    assert.equal(pages.find((p) => p.url.endsWith("/page/1"))?.title, "p1");
    assert.ok(srv.paths.includes("/robots.txt"));
    assert.equal(srv.sessions, 1, "one connection for the whole crawl");
  },
});

Deno.test("HttpClient says so when a cleartext server answers in HTTP/2 frames (h2c)", async () => {
  const server = http2.createServer(); // h2c, prior knowledge only
  server.on("stream", (stream) => {
    stream.respond({ ":status": 200 });
    stream.end("h2c");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  const fetcher = createPinnedFetcher(loopback);
  try {
    await assert.rejects(
      fetcher(`http://127.0.0.1:${port}/`, init()),
      /answered in HTTP\/2 frames, not HTTP\/1\.x \(h2c/,
    );
  } finally {
    fetcher.close();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

Deno.test({
  name: "HttpClient closes an idle HTTP/2 session and opens a new one when needed",
  ignore: ignoreTls,
  async fn() {
    const tls = await makeCert();
    await using srv = await h2Server(tls);
    await using client = new HttpClient({ caCerts: [tls.ca], idleTimeoutMs: 100 });
    const target = {
      protocol: "https:" as const,
      hostname: "skein.test",
      port: srv.port,
      address: "127.0.0.1",
    };
    const get = async (path: string) => {
      const res = await client.request(target, {
        path,
        headers: {},
        signal: new AbortController().signal,
      });
      return await res.text();
    };
    assert.match(await get("/page/1"), /<title>p1<\/title>/);
    assert.match(await get("/page/2"), /<title>p2<\/title>/);
    assert.equal(srv.sessions, 1);
    await waitFor(() => srv.closedSessions === 1, "the idle session is closed");
    assert.match(await get("/page/3"), /<title>p3<\/title>/);
    assert.equal(srv.sessions, 2, "a new session after the idle one closed");
  },
});

Deno.test({
  name: "createPinnedFetcher() over HTTP/2 calls onBodyEnd once the body has been read",
  ignore: ignoreTls,
  async fn() {
    const tls = await makeCert();
    await using srv = await h2Server(tls);
    const fetcher = createPinnedFetcher(loopback, { ca: tls.ca, resolve });
    try {
      const base = `https://skein.test:${srv.port}`;
      const calls: number[] = [];
      const page = await fetcher(`${base}/page/3`, {
        ...init(),
        onBodyEnd: (s) => calls.push(s),
      });
      assert.equal(calls.length, 0, "not before the body is read");
      assert.match(await page.text(), /<title>p3<\/title>/);
      assert.deepEqual(calls, [200]);
      const empty = await fetcher(`${base}/no-content`, {
        ...init(),
        onBodyEnd: (s) => calls.push(s),
      });
      assert.equal(empty.body, null);
      assert.deepEqual(calls, [200, 204]);
      const moved = await fetcher(`${base}/moved`, { ...init(), onBodyEnd: (s) => calls.push(s) });
      await moved.body?.cancel();
      assert.deepEqual(calls, [200, 204], "a cancelled body never ends");
    } finally {
      fetcher.close();
    }
    await waitFor(() => srv.closedSessions === 1, "close() ends the session");
  },
});
