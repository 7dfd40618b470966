import assert from "node:assert/strict";
import zlib from "node:zlib";
import { type AddressPolicy, parseAllowNets } from "../../src/net/address_policy.ts";
import { createPinnedFetcher, type PinnedFetcherOptions } from "../../src/net/pinned_fetcher.ts";
import type { ResolvedAddress } from "../../src/net/resolver.ts";
import type { Fetcher } from "../../src/net/fetcher.ts";
import { NetError } from "../../src/net/net_error.ts";
import { ignoreTls, makeCert } from "./_tls.ts";

const TEXT = "hello, skein! ".repeat(1000);
const MiB = 1024 * 1024;
const BOMB_MIB = 200;

/**
 * A loopback server with the routes the tests need. It records the paths it
 * saw and the client ports they came from; slow routes wait for `release()`.
 */
function startServer(tls?: { cert: string; key: string }) {
  const seen: string[] = [];
  const clientPorts: number[] = [];
  const gate = Promise.withResolvers<void>();
  const handler = async (req: Request, info: Deno.ServeHandlerInfo): Promise<Response> => {
    const url = new URL(req.url);
    seen.push(url.pathname);
    clientPorts.push((info.remoteAddr as Deno.NetAddr).port);
    switch (url.pathname) {
      case "/plain":
        return new Response(TEXT, { headers: { "content-type": "text/plain" } });
      case "/echo":
        return Response.json({
          // HTTP/2 (which HTTPS now negotiates with Deno.serve) has :authority, no host.
          host: req.headers.get("host") ?? url.host,
          acceptEncoding: req.headers.get("accept-encoding"),
          ua: req.headers.get("user-agent"),
          path: url.pathname + url.search,
        });
      case "/gzip":
        return encoded("gzip", zlib.gzipSync(TEXT));
      case "/deflate":
        return encoded("deflate", zlib.deflateSync(TEXT));
      case "/deflate-raw":
        return encoded("deflate", zlib.deflateRawSync(TEXT));
      case "/br":
        return encoded("br", zlib.brotliCompressSync(TEXT));
      case "/gzip-br":
        return encoded("gzip, br", zlib.brotliCompressSync(zlib.gzipSync(TEXT)));
      case "/gzip-empty":
        return encoded("gzip", new Uint8Array(0));
      case "/unknown-coding":
        return encoded("zstd", new TextEncoder().encode("opaque"));
      case "/bomb":
        return new Response(zeros(BOMB_MIB).pipeThrough(new CompressionStream("gzip")), {
          headers: { "content-encoding": "gzip" },
        });
      case "/redirect":
        return new Response(null, { status: 302, headers: { location: "/plain" } });
      case "/no-content":
        return new Response(null, { status: 204 });
      case "/not-modified":
        return new Response(null, { status: 304, headers: { etag: '"x"' } });
      case "/cookies": {
        const headers = new Headers();
        headers.append("set-cookie", "a=1");
        headers.append("set-cookie", "b=2");
        headers.append("x-multi", "one");
        headers.append("x-multi", "two");
        return new Response("ok", { status: 201, headers });
      }
      case "/slow-headers":
        await gate.promise;
        return new Response("too late");
      case "/slow-body": {
        const body = new ReadableStream<Uint8Array>({
          async start(c) {
            c.enqueue(new TextEncoder().encode("first chunk"));
            await gate.promise;
            c.close();
          },
        });
        return new Response(body);
      }
      default:
        return new Response("not found", { status: 404 });
    }
  };
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen() {},
    ...(tls ?? {}),
  }, handler);
  return { server, port: server.addr.port, seen, clientPorts, release: () => gate.resolve() };
}

function encoded(coding: string, body: Uint8Array): Response {
  return new Response(body as Uint8Array<ArrayBuffer>, { headers: { "content-encoding": coding } });
}

/** `mib` MiB of zeros, produced as the reader pulls. */
function zeros(mib: number): ReadableStream<BufferSource> {
  const chunk = new Uint8Array(MiB);
  let left = mib;
  return new ReadableStream<BufferSource>({
    pull(c) {
      if (left-- > 0) c.enqueue(chunk);
      else c.close();
    },
  }, { highWaterMark: 0 });
}

function policy(allow = "", ports: number[] | null = null): AddressPolicy {
  return { allowNets: parseAllowNets(allow), allowedPorts: ports ? new Set(ports) : null };
}

function init(signal = new AbortController().signal, headers = new Headers()) {
  return { headers, signal };
}

function isNetError(code: string, pattern?: RegExp) {
  return (e: unknown) =>
    e instanceof NetError && e.code === code && (!pattern || pattern.test(e.message));
}

/** Runs `fn` against a fresh server and fetcher, then closes both. */
async function withFetcher(
  allow: string,
  fn: (
    fetcher: ReturnType<typeof createPinnedFetcher>,
    base: string,
    seen: string[],
    clientPorts: number[],
  ) => Promise<void>,
  options?: PinnedFetcherOptions,
): Promise<void> {
  const { server, port, seen, clientPorts, release } = startServer();
  const fetcher = createPinnedFetcher(policy(allow), options);
  try {
    await fn(fetcher, `http://127.0.0.1:${port}`, seen, clientPorts);
  } finally {
    release();
    fetcher.close();
    await server.shutdown();
  }
}

Deno.test("createPinnedFetcher() blocks 127.0.0.1 by default", async () => {
  await withFetcher("", async (fetcher, base, seen) => {
    await assert.rejects(
      fetcher(`${base}/plain`, init()),
      isNetError("blocked_address", /127\.0\.0\.1.*loopback/),
    );
    assert.deepEqual(seen, []);
  });
});

Deno.test("createPinnedFetcher() fetches 127.0.0.1 when the allow-list has it", async () => {
  await withFetcher("127.0.0.1/32", async (fetcher, base) => {
    const res = await fetcher(`${base}/plain`, init());
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/plain");
    assert.equal(await res.text(), TEXT);
  });
});

Deno.test("createPinnedFetcher() allows exactly the allow-listed CIDR", async () => {
  await withFetcher("127.0.0.2/32", async (fetcher, base) => {
    await assert.rejects(fetcher(`${base}/plain`, init()), isNetError("blocked_address"));
  });
});

Deno.test("createPinnedFetcher() sends host and accept-encoding, and the caller's headers", async () => {
  await withFetcher("127.0.0.1/32", async (fetcher, base) => {
    const headers = new Headers({ "user-agent": "skein-test/1" });
    const res = await fetcher(`${base}/echo?q=1#frag`, init(undefined, headers));
    const body = await res.json();
    assert.deepEqual(body, {
      host: new URL(base).host,
      acceptEncoding: "gzip, deflate, br",
      ua: "skein-test/1",
      path: "/echo?q=1",
    });
  });
});

for (const path of ["/gzip", "/deflate", "/deflate-raw", "/br", "/gzip-br"]) {
  Deno.test(`createPinnedFetcher() decodes ${path.slice(1)} bodies`, async () => {
    await withFetcher("127.0.0.1/32", async (fetcher, base) => {
      const res = await fetcher(`${base}${path}`, init());
      assert.equal(res.headers.get("content-encoding"), null);
      assert.equal(res.headers.get("content-length"), null);
      assert.equal(await res.text(), TEXT);
    });
  });
}

Deno.test("createPinnedFetcher() returns an empty gzip body as empty", async () => {
  await withFetcher("127.0.0.1/32", async (fetcher, base) => {
    const res = await fetcher(`${base}/gzip-empty`, init());
    assert.equal(await res.text(), "");
  });
});

Deno.test("createPinnedFetcher() passes an unknown coding through with its header", async () => {
  await withFetcher("127.0.0.1/32", async (fetcher, base) => {
    const res = await fetcher(`${base}/unknown-coding`, init());
    assert.equal(res.headers.get("content-encoding"), "zstd");
    assert.equal(await res.text(), "opaque");
  });
});

Deno.test("createPinnedFetcher() reads a gzip bomb only as far as the consumer does", async () => {
  // Count what gunzip produces: the consumer's MiB plus node's small buffers.
  type Pushing = { push(chunk: Uint8Array | null): boolean };
  const proto = (zlib as unknown as { Gunzip: { prototype: Pushing } }).Gunzip.prototype;
  const push = proto.push;
  let decoded = 0;
  proto.push = function (chunk) {
    decoded += chunk?.byteLength ?? 0;
    return push.call(this, chunk);
  };
  await withFetcher("127.0.0.1/32", async (fetcher, base) => {
    const rssBefore = Deno.memoryUsage().rss;
    const started = performance.now();
    const res = await fetcher(`${base}/bomb`, init());
    const reader = res.body!.getReader();
    let read = 0;
    while (read < MiB) {
      const { done, value } = await reader.read();
      if (done) break;
      assert.ok(value.every((b) => b === 0));
      read += value.byteLength;
    }
    await new Promise((r) => setTimeout(r, 100)); // room to read ahead, if it would
    const decodedBeforeCancel = decoded;
    await reader.cancel();
    const elapsed = performance.now() - started;
    const grown = Deno.memoryUsage().rss - rssBefore;
    assert.ok(read >= MiB && read < 2 * MiB, `read ${read}`);
    assert.ok(grown < 64 * MiB, `rss grew by ${(grown / MiB).toFixed(1)} MiB`);
    assert.ok(elapsed < 2000, `took ${elapsed.toFixed(0)} ms`);
    assert.ok(decodedBeforeCancel < read + 256 * 1024, `decoded ${decodedBeforeCancel} bytes`);
  }).finally(() => delete (proto as { push?: unknown }).push);
});

Deno.test("createPinnedFetcher() does not follow redirects", async () => {
  await withFetcher("127.0.0.1/32", async (fetcher, base, seen) => {
    const res = await fetcher(`${base}/redirect`, init());
    assert.equal(res.status, 302);
    assert.equal(res.headers.get("location"), "/plain");
    await res.body?.cancel();
    assert.deepEqual(seen, ["/redirect"]);
  });
});

Deno.test("createPinnedFetcher() gives 204 and 304 a null body", async () => {
  await withFetcher("127.0.0.1/32", async (fetcher, base) => {
    const noContent = await fetcher(`${base}/no-content`, init());
    assert.equal(noContent.status, 204);
    assert.equal(noContent.body, null);
    const notModified = await fetcher(`${base}/not-modified`, init());
    assert.equal(notModified.status, 304);
    assert.equal(notModified.body, null);
    assert.equal(notModified.headers.get("etag"), '"x"');
  });
});

Deno.test("createPinnedFetcher() keeps repeated headers", async () => {
  await withFetcher("127.0.0.1/32", async (fetcher, base) => {
    const res = await fetcher(`${base}/cookies`, init());
    assert.equal(res.status, 201);
    assert.deepEqual(res.headers.getSetCookie(), ["a=1", "b=2"]);
    assert.equal(res.headers.get("x-multi"), "one, two");
    assert.equal(await res.text(), "ok");
  });
});

Deno.test("createPinnedFetcher() rejects with the reason when aborted before headers", async () => {
  await withFetcher("127.0.0.1/32", async (fetcher, base) => {
    const ac = new AbortController();
    const pending = fetcher(`${base}/slow-headers`, init(ac.signal));
    await new Promise((r) => setTimeout(r, 50));
    const started = performance.now();
    ac.abort();
    await assert.rejects(
      pending,
      (e: unknown) => e instanceof DOMException && e.name === "AbortError",
    );
    assert.ok(performance.now() - started < 500);
  });
});

Deno.test("createPinnedFetcher() rejects at once when the signal is already aborted", async () => {
  await withFetcher("127.0.0.1/32", async (fetcher, base, seen) => {
    const reason = new Error("stop");
    await assert.rejects(
      fetcher(`${base}/plain`, init(AbortSignal.abort(reason))),
      (e) => e === reason,
    );
    assert.deepEqual(seen, []);
  });
});

Deno.test("createPinnedFetcher() errors the body stream when aborted mid-body", async () => {
  await withFetcher("127.0.0.1/32", async (fetcher, base) => {
    const ac = new AbortController();
    const res = await fetcher(`${base}/slow-body`, init(ac.signal));
    const reader = res.body!.getReader();
    const first = await reader.read();
    assert.equal(new TextDecoder().decode(first.value), "first chunk");
    const reason = new Error("enough");
    const next = reader.read();
    ac.abort(reason);
    await assert.rejects(next, (e) => e === reason);
  });
});

Deno.test("createPinnedFetcher() blocks a hostname resolving to loopback (localhost)", async () => {
  await withFetcher("", async (fetcher, base, seen) => {
    const port = new URL(base).port;
    await assert.rejects(
      fetcher(`http://localhost:${port}/plain`, init()),
      isNetError("blocked_address", /localhost.*127\.0\.0\.1.*loopback/),
    );
    assert.deepEqual(seen, []);
  });
});

Deno.test("createPinnedFetcher() blocks a disallowed port", async () => {
  const fetcher = createPinnedFetcher(policy("127.0.0.1/32", [80, 443]));
  try {
    await assert.rejects(fetcher("http://127.0.0.1:8080/", init()), isNetError("blocked_port"));
  } finally {
    fetcher.close();
  }
});

Deno.test("createPinnedFetcher() blocks non-http schemes", async () => {
  await using fetcher = createPinnedFetcher(policy());
  for (const url of ["ftp://example.com/", "file:///etc/passwd", "ws://example.com/"]) {
    await assert.rejects(fetcher(url, init()), isNetError("blocked_scheme"), url);
  }
});

Deno.test("createPinnedFetcher() maps resolver failures to NetError dns", async () => {
  const resolve = () => Promise.reject(Object.assign(new Error("nope"), { code: "ENOTFOUND" }));
  await using fetcher = createPinnedFetcher(policy(), { resolve });
  await assert.rejects(
    fetcher("http://no-such-host.test/", init()),
    isNetError("dns", /no-such-host\.test.*ENOTFOUND/),
  );
  await using empty = createPinnedFetcher(policy(), { resolve: () => Promise.resolve([]) });
  await assert.rejects(empty("http://no-such-host.test/", init()), isNetError("dns"));
});

Deno.test("createPinnedFetcher() rejects with the reason when aborted during DNS", async () => {
  const asked = Promise.withResolvers<void>();
  const resolve = () => {
    asked.resolve();
    return new Promise<ResolvedAddress[]>(() => {}); // a resolver that never answers
  };
  await using fetcher = createPinnedFetcher(policy(), { resolve });
  const ac = new AbortController();
  const pending = fetcher("http://slow-dns.test/", init(ac.signal));
  await asked.promise;
  const reason = new Error("gave up");
  ac.abort(reason);
  await assert.rejects(pending, (e) => e === reason);
});

Deno.test("createPinnedFetcher() refuses requests after close() and after disposal", async () => {
  await withFetcher("127.0.0.1/32", async (fetcher, base) => {
    const crawlWith: Fetcher = fetcher; // the engine's seam
    assert.equal((await crawlWith(`${base}/plain`, init())).status, 200);
    fetcher.close();
    await assert.rejects(crawlWith(`${base}/plain`, init()), /closed/);
  });
  const { server, port } = startServer();
  try {
    const disposed = createPinnedFetcher(policy("127.0.0.1/32"));
    await (await disposed(`http://127.0.0.1:${port}/plain`, init())).text();
    await disposed[Symbol.asyncDispose]();
    await assert.rejects(disposed(`http://127.0.0.1:${port}/plain`, init()), /closed/);
  } finally {
    await server.shutdown();
  }
});

Deno.test("createPinnedFetcher() refuses a host when any resolved address is blocked", async () => {
  await withFetcher("", async (fetcher, base, seen) => {
    const port = new URL(base).port;
    await assert.rejects(
      fetcher(`http://mixed.test:${port}/plain`, init()),
      isNetError("blocked_address", /mixed\.test resolves to 127\.0\.0\.1.*loopback/),
    );
    assert.deepEqual(seen, []);
  }, {
    resolve: () =>
      Promise.resolve<ResolvedAddress[]>([
        { address: "93.184.215.14", family: 4 },
        { address: "127.0.0.1", family: 4 },
      ]),
  });
});

Deno.test("createPinnedFetcher() refuses resolver answers that are not strict IP text", async () => {
  for (const address of ["0x7f.0.0.1", "2130706433", "010.0.0.1", "not-an-ip"]) {
    const resolve = () => Promise.resolve<ResolvedAddress[]>([{ address, family: 4 }]);
    await using fetcher = createPinnedFetcher(policy(), { resolve });
    await assert.rejects(
      fetcher("http://odd.test/", init()),
      isNetError("blocked_address", /invalid/),
      address,
    );
  }
});

Deno.test("createPinnedFetcher() connects only to the address it checked (DNS rebinding)", async () => {
  // The first answer is allowed; any later answer would point elsewhere. The
  // name does not exist for the system resolver, so reaching the server proves
  // the connection used the checked address and asked nobody else.
  const answers: ResolvedAddress[][] = [
    [{ address: "127.0.0.1", family: 4 }],
    [{ address: "10.0.0.1", family: 4 }],
  ];
  const asked: string[] = [];
  const resolve = (hostname: string) => {
    asked.push(hostname);
    return Promise.resolve(answers[Math.min(asked.length - 1, answers.length - 1)]);
  };
  await withFetcher("127.0.0.1/32", async (fetcher, base, seen) => {
    const port = new URL(base).port;
    const res = await fetcher(`http://rebind.test:${port}/echo`, init());
    assert.equal((await res.json()).host, `rebind.test:${port}`);
    assert.deepEqual(asked, ["rebind.test"]);
    await assert.rejects(
      fetcher(`http://rebind.test:${port}/plain`, init()),
      isNetError("blocked_address", /rebind\.test resolves to 10\.0\.0\.1.*private/),
    );
    assert.deepEqual(asked, ["rebind.test", "rebind.test"]);
    assert.deepEqual(seen, ["/echo"]);
  }, { resolve });
});

Deno.test("createPinnedFetcher() reuses connections and closes them on close()", async () => {
  await withFetcher("127.0.0.1/32", async (fetcher, base, _seen, clientPorts) => {
    for (let i = 0; i < 20; i++) {
      const res = await fetcher(`${base}/gzip`, init());
      assert.equal((await res.text()).length, TEXT.length);
    }
    assert.equal(new Set(clientPorts).size, 1, "one connection for sequential requests");
  });
});

Deno.test("createPinnedFetcher() cancelling a body releases the socket for the next request", async () => {
  await withFetcher("127.0.0.1/32", async (fetcher, base, _seen, clientPorts) => {
    for (let i = 0; i < 5; i++) {
      const res = await fetcher(`${base}/plain`, init());
      await res.body!.cancel();
      // The rest (14 kB) is drained in the background; then the connection is free again.
      const next = await fetcher(`${base}/echo`, init());
      assert.equal((await next.json()).path, "/echo");
    }
    // A fetch that found the connection still draining opened a second one, no more.
    assert.ok(new Set(clientPorts).size <= 2, `${new Set(clientPorts).size} connections`);
  });
});

Deno.test("createPinnedFetcher() cancelling a stalled body does not hold up other requests", async () => {
  await withFetcher("127.0.0.1/32", async (fetcher, base) => {
    const res = await fetcher(`${base}/slow-body`, init());
    const reader = res.body!.getReader();
    assert.equal(new TextDecoder().decode((await reader.read()).value), "first chunk");
    await reader.cancel();
    const next = await fetcher(`${base}/plain`, init());
    assert.equal(await next.text(), TEXT);
  });
});

Deno.test("createPinnedFetcher() rejects with TypeError when nothing listens", async () => {
  const { server, port } = startServer();
  await server.shutdown();
  await using fetcher = createPinnedFetcher(policy("127.0.0.1/32"));
  await assert.rejects(fetcher(`http://127.0.0.1:${port}/`, init()), TypeError);
});

Deno.test({
  name: "createPinnedFetcher() pins HTTPS connections and verifies the certificate",
  ignore: ignoreTls,
  async fn() {
    const tls = await makeCert();
    const { server, port, seen } = startServer({ cert: tls.cert, key: tls.key });
    const resolve = () => Promise.resolve<ResolvedAddress[]>([{ address: "127.0.0.1", family: 4 }]);
    const trusted = createPinnedFetcher(policy("127.0.0.1/32"), { ca: tls.ca, resolve });
    const untrusted = createPinnedFetcher(policy("127.0.0.1/32"), { resolve });
    const blocked = createPinnedFetcher(policy(), { ca: tls.ca, resolve });
    try {
      const byName = await trusted(`https://skein.test:${port}/gzip`, init());
      assert.equal(await byName.text(), TEXT);
      const byAddress = await trusted(`https://127.0.0.1:${port}/echo`, init());
      assert.equal((await byAddress.json()).host, `127.0.0.1:${port}`);
      await assert.rejects(
        untrusted(`https://skein.test:${port}/plain`, init()),
        isNetError("tls", /TLS handshake with 127\.0\.0\.1:\d+ failed: .*certificate/i),
      );
      await assert.rejects(
        blocked(`https://skein.test:${port}/plain`, init()),
        isNetError("blocked_address"),
      );
      assert.deepEqual(seen, ["/gzip", "/echo"]);
    } finally {
      trusted.close();
      untrusted.close();
      blocked.close();
      await server.shutdown();
    }
  },
});

Deno.test("createPinnedFetcher() keeps its connections across a crawl with redirects, 404s and non-HTML", async () => {
  // Every page links to a redirect, a 404 with a body and a JSON file: bodies the
  // crawler does not read. With perHost 4, four connections must carry the whole crawl.
  const ports = new Set<number>();
  const pages = 30;
  const page = (i: number) =>
    `<a href="/p${
      i + 1
    }">n</a><a href="/r${i}">r</a><a href="/m${i}">m</a><a href="/d${i}.json">d</a>`;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req, info) => {
    ports.add((info.remoteAddr as Deno.NetAddr).port);
    const path = new URL(req.url).pathname;
    const html = { "content-type": "text/html" };
    if (path === "/robots.txt") return new Response("no robots here ".repeat(100), { status: 404 });
    if (path.startsWith("/p")) {
      const i = Number(path.slice(2));
      if (i < pages) return new Response(page(i), { headers: html });
    }
    if (path.startsWith("/r")) {
      return new Response("moved ".repeat(200), {
        status: 301,
        headers: { location: `/t${path.slice(2)}` },
      });
    }
    if (path.startsWith("/t")) return new Response("target", { headers: html });
    if (path.startsWith("/d")) return Response.json({ data: "x".repeat(5000) });
    return new Response("not found ".repeat(500), { status: 404, headers: html });
  });
  const { crawl } = await import("../../src/crawl/crawl.ts");
  await using fetcher = createPinnedFetcher(policy("127.0.0.1/32"));
  try {
    const counts = new Map<string, number>();
    for await (
      const e of crawl([`http://127.0.0.1:${server.addr.port}/p0`], {
        concurrency: 4,
        perHost: 4,
        maxDepth: 100,
      }, { fetcher })
    ) {
      const key = e.type === "page" ? `page ${e.status}` : e.type;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    // 30 pages, 30 redirect targets, 30 JSON files; 31 404s (one is /p30).
    assert.deepEqual(Object.fromEntries(counts), {
      "page 200": 90,
      "page 404": 31,
      done: 1,
    });
    assert.ok(ports.size <= 4, `${ports.size} connections for a crawl at perHost 4`);
  } finally {
    await server.shutdown();
  }
});
