import assert from "node:assert/strict";
import { crawl } from "../../src/crawl/crawl.ts";
import type { CrawlEvent, ErrorEvent } from "../../src/crawl/events.ts";
import type { CrawlOptions } from "../../src/crawl/options.ts";
import type { Fetcher } from "../../src/net/fetcher.ts";
import { createPinnedFetcher } from "../../src/net/pinned_fetcher.ts";
import { ignoreTls, makeCert } from "./_tls.ts";

async function errorsOf(
  seed: string,
  options: Partial<CrawlOptions>,
  fetcher?: Fetcher,
): Promise<ErrorEvent[]> {
  const events: CrawlEvent[] = [];
  for await (
    const e of crawl([seed], { ignoreRobots: true, backoffMs: 1, ...options }, { fetcher })
  ) {
    events.push(e);
  }
  return events.filter((e): e is ErrorEvent => e.type === "error");
}

Deno.test("crawl() reports a connection not opened within connectTimeoutMs as a timeout", async () => {
  let dials = 0;
  const dial = () => {
    dials++;
    return new Promise<Deno.TcpConn>(() => {}); // a black-holed address
  };
  await using fetcher = createPinnedFetcher(null, { dial });
  const started = performance.now();
  const [error] = await errorsOf("http://192.0.2.1/", {
    connectTimeoutMs: 100,
    timeoutMs: 30_000,
    retries: 1,
    preconnect: false, // the dials counted are the requests'
  }, fetcher);
  assert.equal(error.code, "timeout");
  assert.match(error.message, /192\.0\.2\.1:80 not established within 100 ms/);
  assert.equal(error.attempts, 2, "a connect timeout is retried like any timeout");
  assert.equal(dials, 2);
  assert.ok(performance.now() - started < 20_000, "ended by the connect deadline");
});

Deno.test({
  name: "crawl() reports a refused certificate as tls, without retrying",
  ignore: ignoreTls,
  async fn() {
    const tls = await makeCert();
    let hits = 0;
    await using server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {}, cert: tls.cert, key: tls.key },
      () => {
        hits++;
        return new Response("<p>hi</p>", { headers: { "content-type": "text/html" } });
      },
    );
    const seed = `https://127.0.0.1:${server.addr.port}/`;
    await using untrusted = createPinnedFetcher(null);
    const [error] = await errorsOf(seed, { retries: 2 }, untrusted);
    assert.equal(error.code, "tls");
    assert.match(error.message, /TLS handshake with 127\.0\.0\.1:\d+ failed/);
    assert.equal(error.attempts, 1);
    // Trusted, the same server answers: the failure was the certificate.
    await using trusted = createPinnedFetcher(null, { ca: tls.ca });
    assert.deepEqual(await errorsOf(seed, {}, trusted), []);
    assert.equal(hits, 1);
  },
});

Deno.test({
  name: "defaultFetcher() reports a refused certificate as NetError tls, like skein's client",
  ignore: ignoreTls,
  async fn() {
    const tls = await makeCert();
    await using server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {}, cert: tls.cert, key: tls.key },
      () => new Response("hi"),
    );
    const [error] = await errorsOf(`https://127.0.0.1:${server.addr.port}/`, { retries: 2 });
    assert.equal(error.code, "tls");
    assert.match(error.message, /TLS handshake failed: invalid peer certificate: UnknownIssuer/);
    assert.equal(error.attempts, 1);
  },
});
