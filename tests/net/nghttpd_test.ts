/**
 * skein's client against a real HTTP/2-only server: Debian's `nghttpd`
 * (package nghttp2-server), with TLS (h2 by ALPN) and without (h2c). Ignored
 * when nghttpd or openssl is missing, except in CI (`CI=true` or
 * `REQUIRE_MONGO=1`), where it fails instead.
 */
import assert from "node:assert/strict";
import { createPinnedFetcher } from "../../src/net/pinned_fetcher.ts";
import { parseAllowNets } from "../../src/net/address_policy.ts";
import type { ResolvedAddress } from "../../src/net/resolver.ts";
import { crawl } from "../../src/crawl/crawl.ts";
import type { CrawlEvent, PageEvent } from "../../src/crawl/events.ts";
import { makeCert, openssl } from "./_tls.ts";

const NGHTTPD = "/usr/sbin/nghttpd";
const present = (() => {
  try {
    return Deno.statSync(NGHTTPD).isFile;
  } catch {
    return false;
  }
})();
const ci = Deno.env.get("CI") === "true" || Deno.env.get("REQUIRE_MONGO") === "1";
const ignore = !ci && (!present || openssl === null);

/** Starts nghttpd on a free loopback port over `docroot`; TLS when `tls` is given. */
async function startNghttpd(docroot: string, tls?: { key: string; cert: string }) {
  if (!present) throw new Error(`${NGHTTPD} is missing: install nghttp2-server`);
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const args = ["-a", "127.0.0.1", "-d", docroot, String(port)];
  if (tls) args.push(tls.key, tls.cert);
  else args.unshift("--no-tls");
  const child = new Deno.Command(NGHTTPD, { args, stdout: "null", stderr: "null" }).spawn();
  const until = performance.now() + 10_000;
  for (;;) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      break;
    } catch {
      if (performance.now() > until) {
        child.kill();
        await child.status;
        throw new Error(`nghttpd did not listen on ${port} within 10 s`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    port,
    async [Symbol.asyncDispose]() {
      child.kill();
      await child.status;
    },
  };
}

async function site(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "skein_nghttpd_" });
  await Deno.writeTextFile(
    `${dir}/index.html`,
    `<title>home</title><a href="/a.html">a</a><a href="/b.html">b</a><a href="/gone.html">x</a>`,
  );
  await Deno.writeTextFile(`${dir}/a.html`, `<title>a</title><a href="/b.html">b</a>`);
  await Deno.writeTextFile(`${dir}/b.html`, `<title>b</title><a href="/">home</a>`);
  return dir;
}

const loopback = { allowNets: parseAllowNets("127.0.0.1/32"), allowedPorts: null };
const resolve = () => Promise.resolve<ResolvedAddress[]>([{ address: "127.0.0.1", family: 4 }]);

Deno.test({
  name: "crawl() over HTTP/2 gets every page from nghttpd (an HTTP/2-only server)",
  ignore,
  async fn() {
    const tls = await makeCert();
    const dir = await site();
    const keyFile = `${dir}.key.pem`;
    const certFile = `${dir}.cert.pem`;
    await Deno.writeTextFile(keyFile, tls.key);
    await Deno.writeTextFile(certFile, tls.cert);
    try {
      await using server = await startNghttpd(dir, { key: keyFile, cert: certFile });
      await using fetcher = createPinnedFetcher(loopback, { ca: tls.ca, resolve });
      const events: CrawlEvent[] = [];
      const seed = `https://skein.test:${server.port}/`;
      for await (const e of crawl([seed], { ignoreRobots: true }, { fetcher })) events.push(e);
      const pages = events.filter((e): e is PageEvent => e.type === "page");
      assert.deepEqual(
        pages.map((p) => `${p.status} ${p.title ?? ""}`).sort(),
        ["200 a", "200 b", "200 home", "404 "],
      );
      assert.equal(events.filter((e) => e.type === "error").length, 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(keyFile);
      await Deno.remove(certFile);
    }
  },
});

Deno.test({
  name: "createPinnedFetcher() names HTTP/2 frames from nghttpd over cleartext (h2c)",
  ignore: !ci && !present,
  async fn() {
    const dir = await site();
    try {
      await using server = await startNghttpd(dir);
      await using fetcher = createPinnedFetcher(loopback);
      await assert.rejects(
        fetcher(`http://127.0.0.1:${server.port}/`, {
          headers: new Headers(),
          signal: new AbortController().signal,
        }),
        /answered in HTTP\/2 frames, not HTTP\/1\.x \(h2c/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
