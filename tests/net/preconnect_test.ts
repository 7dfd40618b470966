import assert from "node:assert/strict";
import { HttpClient, type HttpTarget } from "../../src/net/http_client.ts";
import { createPinnedFetcher } from "../../src/net/pinned_fetcher.ts";
import { parseAllowNets } from "../../src/net/address_policy.ts";
import { crawl, preconnectCounts } from "../../src/crawl/crawl.ts";
import type { CrawlEvent } from "../../src/crawl/events.ts";
import { waitUntil } from "../_wait_until.ts";
import { ignoreTls, makeCert } from "./_tls.ts";

/**
 * A loopback HTTP/1.1 server that counts connections: accepted, carrying at
 * least one request, and closed by the client. `hold` makes a path's answer
 * wait until `release()` is called.
 */
function countingServer(
  pages: Record<string, string>,
  hold = new Set<string>(),
  tls?: { cert: string; key: string },
) {
  const listener = tls
    ? Deno.listenTls({ hostname: "127.0.0.1", port: 0, ...tls, alpnProtocols: ["http/1.1"] })
    : Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const stats = { accepted: 0, used: 0, closedByClient: 0, requests: [] as string[] };
  const conns = new Set<Deno.Conn>();
  const held = Promise.withResolvers<void>();
  const serve = async (conn: Deno.Conn) => {
    const buf = new Uint8Array(8192);
    let pending = "";
    let used = false;
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) {
          stats.closedByClient++;
          return;
        }
        pending += new TextDecoder().decode(buf.subarray(0, n));
        let end;
        while ((end = pending.indexOf("\r\n\r\n")) >= 0) {
          const path = pending.slice(0, end).split(" ")[1];
          pending = pending.slice(end + 4);
          if (!used) stats.used++;
          used = true;
          stats.requests.push(path);
          if (hold.has(path)) await held.promise;
          const body = pages[path] ?? "gone";
          const status = path in pages ? "200 OK" : "404 Not Found";
          await conn.write(
            new TextEncoder().encode(
              `HTTP/1.1 ${status}\r\ncontent-type: text/html\r\ncontent-length: ${
                new TextEncoder().encode(body).length
              }\r\n\r\n${body}`,
            ),
          );
        }
      }
    } catch {
      // the client went away
    } finally {
      conns.delete(conn);
      try {
        conn.close();
      } catch {
        // closed by dispose
      }
    }
  };
  const serving = (async () => {
    const served: Promise<void>[] = [];
    try {
      for await (const conn of listener) {
        stats.accepted++;
        conns.add(conn);
        served.push(serve(conn));
      }
    } catch {
      // listener closed
    }
    await Promise.all(served);
  })();
  return {
    port,
    stats,
    release: () => held.resolve(),
    async [Symbol.asyncDispose]() {
      held.resolve();
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // closed already
        }
      }
      await serving;
    },
  };
}

function target(port: number): HttpTarget {
  return { protocol: "http:", hostname: "127.0.0.1", port, address: "127.0.0.1" };
}

function get(client: HttpClient, port: number, path: string): Promise<string> {
  return client.request(target(port), {
    path,
    headers: {},
    signal: new AbortController().signal,
  }).then((res) => res.text());
}

Deno.test("HttpClient.preconnect() opens idle connections that the next requests take", async () => {
  await using server = countingServer({ "/a": "a", "/b": "b", "/c": "c" });
  await using client = new HttpClient();
  const ac = new AbortController();
  assert.equal(await client.preconnect(target(server.port), 3, { signal: ac.signal }), 3);
  assert.equal(client.idleConnections, 3);
  await waitUntil(() => server.stats.accepted === 3, "the server accepted the 3 connections");
  assert.deepEqual(
    await Promise.all(["/a", "/b", "/c"].map((p) => get(client, server.port, p))),
    ["a", "b", "c"],
  );
  assert.equal(server.stats.accepted, 3, "no connection opened beyond the pre-connected ones");
  assert.equal(server.stats.used, 3);
  ac.abort();
  assert.equal(client.idleConnections, 3, "used connections stay pooled after the abort");
});

Deno.test("HttpClient.preconnect() closes the connections no request took once its signal aborts", async () => {
  await using server = countingServer({ "/a": "a" });
  await using client = new HttpClient();
  const ac = new AbortController();
  assert.equal(await client.preconnect(target(server.port), 3, { signal: ac.signal }), 3);
  assert.equal(await get(client, server.port, "/a"), "a");
  ac.abort();
  assert.equal(client.idleConnections, 1, "only the used connection is left in the pool");
  await waitUntil(() => server.stats.closedByClient === 2, "the 2 unused connections closed");
});

Deno.test("HttpClient.preconnect() gives up quietly when the address refuses", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close(); // nothing listens there now
  await using client = new HttpClient();
  const opened = await client.preconnect(target(port), 5, {
    signal: new AbortController().signal,
  });
  assert.equal(opened, 0);
  assert.equal(client.idleConnections, 0);
});

Deno.test("createPinnedFetcher().preconnect() opens no connection to an address the guard refuses", async () => {
  await using server = countingServer({ "/": "x" });
  let dials = 0;
  const dial = (o: Deno.ConnectOptions) => {
    dials++;
    return Deno.connect(o);
  };
  const signal = new AbortController().signal;
  await using blocked = createPinnedFetcher({ allowNets: [], allowedPorts: null }, { dial });
  assert.equal(await blocked.preconnect(`http://127.0.0.1:${server.port}/`, 3, { signal }), 0);
  assert.equal(await blocked.preconnect(`http://localhost:${server.port}/`, 3, { signal }), 0);
  // A name that resolves to a refused address: checked after DNS, as a request's would be.
  const resolve = () => Promise.resolve([{ address: "127.0.0.1", family: 4 as const }]);
  await using named = createPinnedFetcher({ allowNets: [], allowedPorts: null }, { dial, resolve });
  assert.equal(await named.preconnect(`http://site.test:${server.port}/`, 3, { signal }), 0);
  assert.equal(dials, 0, "the guard refused before any connect");
  await using allowed = createPinnedFetcher(
    { allowNets: parseAllowNets("127.0.0.1/32"), allowedPorts: null },
    { dial },
  );
  assert.equal(await allowed.preconnect(`http://127.0.0.1:${server.port}/`, 2, { signal }), 2);
  assert.equal(dials, 2);
  await waitUntil(() => server.stats.accepted === 2, "the allowed connections arrived");
});

async function collectAll(run: AsyncIterable<CrawlEvent>): Promise<CrawlEvent[]> {
  const events: CrawlEvent[] = [];
  for await (const e of run) events.push(e);
  return events;
}

/** A pinned fetcher with the SSRF guard on, 127.0.0.1 let through (the service's set-up). */
function loopbackFetcher() {
  return createPinnedFetcher({ allowNets: parseAllowNets("127.0.0.1/32"), allowedPorts: null });
}

Deno.test("crawl() pre-connects to the seed's origin while its answer is awaited, and closes what it did not use", async () => {
  const links = `<a href="/a">a</a><a href="/b">b</a>`;
  await using server = countingServer({ "/": links, "/a": "a", "/b": "b" }, new Set(["/"]));
  await using fetcher = loopbackFetcher();
  const run = collectAll(crawl([`http://127.0.0.1:${server.port}/`], {
    concurrency: 8,
    perHost: 4,
    ignoreRobots: true,
  }, { fetcher }));
  // perHost 4: the seed's connection and 3 more, opened before the seed is answered.
  await waitUntil(() => server.stats.accepted === 4, "4 connections while the seed waits");
  assert.deepEqual(server.stats.requests, ["/"], "pre-connecting sends no request");
  server.release();
  const events = await run;
  const done = events.at(-1);
  assert.equal(done?.type, "done");
  assert.deepEqual(done.type === "done" && done.stats.pages, 3, "connections are not pages");
  assert.deepEqual(server.stats.requests.sort(), ["/", "/a", "/b"]);
  assert.equal(server.stats.accepted, 4, "the links went out on pre-opened connections");
  // 3 connections carried requests (the seed's and two of the pre-opened ones, or the
  // seed's twice): the unused ones were closed when the crawl ended.
  const unused = server.stats.accepted - server.stats.used;
  assert.ok(unused >= 1, `${unused} unused connections`);
  await waitUntil(
    () => server.stats.closedByClient >= unused,
    "the unused pre-opened connections closed at the end of the crawl",
  );
});

Deno.test("crawl() with preconnect off opens no connection before the seed's answer", async () => {
  await using server = countingServer({ "/": `<a href="/a">a</a>`, "/a": "a" }, new Set(["/"]));
  await using fetcher = loopbackFetcher();
  const run = collectAll(crawl([`http://127.0.0.1:${server.port}/`], {
    concurrency: 8,
    perHost: 4,
    ignoreRobots: true,
    preconnect: false,
  }, { fetcher }));
  await waitUntil(() => server.stats.requests.length === 1, "the seed's request");
  // Long enough for a pre-connect to have shown (it starts 10 ms after the crawl).
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(server.stats.accepted, 1);
  server.release();
  await run;
  assert.deepEqual(server.stats.requests, ["/", "/a"]);
});

Deno.test("crawl() pre-connects nothing when no link can follow the seeds", async () => {
  await using server = countingServer({ "/": `<a href="/a">a</a>` }, new Set(["/"]));
  await using fetcher = loopbackFetcher();
  for (const limit of [{ maxDepth: 0 }, { maxPages: 1 }]) {
    const before = server.stats.accepted;
    const run = collectAll(crawl([`http://127.0.0.1:${server.port}/`], {
      concurrency: 8,
      perHost: 4,
      ignoreRobots: true,
      ...limit,
    }, { fetcher }));
    await waitUntil(() => server.stats.requests.length > 0, "the seed's request");
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(server.stats.accepted - before <= 1, `${JSON.stringify(limit)}: one connection`);
    server.release();
    await run;
  }
});

Deno.test("preconnectCounts() fills min(perHost, concurrency) per seed origin, within concurrency", () => {
  const o = { perHost: 4, concurrency: 16, maxDepth: 3, maxPages: 1000, delayMs: 0 };
  const seeds = ["http://a.test/", "http://a.test/x", "http://b.test:8080/", "https://a.test/"];
  assert.deepEqual([...preconnectCounts(seeds, o)], [
    ["http://a.test", 2],
    ["http://b.test:8080", 3],
    ["https://a.test", 3],
  ]);
  assert.deepEqual([...preconnectCounts(seeds, { ...o, concurrency: 6 })], [
    ["http://a.test", 2],
  ], "6 in all: 4 seeds and 2 more");
  assert.deepEqual([...preconnectCounts(["http://a.test/"], { ...o, perHost: 1 })], []);
  assert.deepEqual([...preconnectCounts(["http://a.test/"], { ...o, maxDepth: 0 })], []);
  assert.deepEqual([...preconnectCounts(["http://a.test/"], { ...o, delayMs: 500 })], []);
  assert.deepEqual([...preconnectCounts(["http://a.test/"], { ...o, maxPages: 3 })], [
    ["http://a.test", 2],
  ]);
});

Deno.test({
  name: "HttpClient.preconnect() over HTTPS waits until a handshake said HTTP/1.1, then opens",
  ignore: ignoreTls,
  async fn() {
    const tls = await makeCert();
    await using server = countingServer({ "/a": "a", "/b": "b", "/c": "c" }, new Set(), tls);
    await using client = new HttpClient({ caCerts: [tls.ca] });
    const at: HttpTarget = {
      protocol: "https:",
      hostname: "skein.test",
      port: server.port,
      address: "127.0.0.1",
    };
    const signal = new AbortController().signal;
    assert.equal(await client.preconnect(at, 2, { signal }), 0, "HTTP/2 not ruled out yet");
    assert.equal(server.stats.accepted, 0);
    const get = (path: string) =>
      client.request(at, { path, headers: {}, signal }).then((r) => r.text());
    assert.equal(await get("/a"), "a");
    assert.equal(await client.preconnect(at, 2, { signal }), 2);
    assert.deepEqual(await Promise.all([get("/b"), get("/c")]), ["b", "c"]);
    assert.equal(server.stats.accepted, 3, "the two requests took the pre-opened connections");
  },
});
