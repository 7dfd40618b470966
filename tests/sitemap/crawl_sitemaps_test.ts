import assert from "node:assert/strict";
import { collect } from "../crawl/_helpers.ts";
import { serveRoutes } from "../content/_routes.ts";
import type { ErrorEvent, PageEvent, SitemapEvent } from "../../src/crawl/events.ts";

const NS = "http://www.sitemaps.org/schemas/sitemap/0.9";
const XML = { "content-type": "application/xml" };

function urlset(urls: string[], lastmod?: string): string {
  const items = urls.map((u) =>
    `<url><loc>${u}</loc>${lastmod ? `<lastmod>${lastmod}</lastmod>` : ""}</url>`
  );
  return `<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="${NS}">${items.join("")}</urlset>`;
}

function index(urls: string[]): string {
  const items = urls.map((u) => `<sitemap><loc>${u}</loc></sitemap>`).join("");
  return `<sitemapindex xmlns="${NS}">${items}</sitemapindex>`;
}

async function gzip(text: string): Promise<Uint8Array> {
  const s = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(s).arrayBuffer());
}

function sitemapEvents(events: unknown[]): SitemapEvent[] {
  return events.filter((e): e is SitemapEvent => (e as SitemapEvent).type === "sitemap");
}

Deno.test("crawl() with sitemaps reads robots.txt Sitemap lines, indexes, gzip and /sitemap.xml", async () => {
  const html = { "content-type": "text/html" };
  const gz = await gzip(urlset(["/from-gz"].map((p) => "http://HOST" + p)));
  let origin = "";
  const routes = {
    "/robots.txt": {
      headers: { "content-type": "text/plain" },
      body: () =>
        ReadableStream.from([
          new TextEncoder().encode(
            `User-agent: *\nDisallow: /private\nSitemap: ${origin}/index.xml\n`,
          ),
        ]),
    },
    "/": { headers: html, body: `<a href="/linked">l</a>` },
    "/linked": { headers: html, body: "linked" },
    "/index.xml": {
      headers: XML,
      body: () =>
        ReadableStream.from([
          new TextEncoder().encode(index([`${origin}/a.xml`, `${origin}/b.xml.gz`])),
        ]),
    },
    "/a.xml": {
      headers: XML,
      body: () =>
        ReadableStream.from([new TextEncoder().encode(urlset([
          `${origin}/p1`,
          `${origin}/private/x`,
          `http://elsewhere.test/out-of-scope`,
          `${origin}/excluded-1`,
        ], "2024-05-01"))]),
    },
    "/b.xml.gz": {
      headers: { "content-type": "application/x-gzip" },
      body: () => ReadableStream.from([gz]),
    },
    "/sitemap.xml": {
      headers: { "content-type": "text/plain" },
      body: () => ReadableStream.from([new TextEncoder().encode(`${origin}/p2\n${origin}/p1\n`)]),
    },
    "/p1": { headers: html, body: `<a href="/linked">l</a>` },
    "/p2": { headers: html, body: "p2" },
    "/private/x": { headers: html, body: "secret" },
    "/from-gz": { headers: html, body: "gz" },
  };
  await using srv = serveRoutes(routes);
  origin = srv.origin;
  // the gzip body was made before the origin was known: serve it with the real host
  routes["/b.xml.gz"].body = () => ReadableStream.from([gz]);
  const real = await gzip(urlset([`${origin}/from-gz`]));
  routes["/b.xml.gz"].body = () => ReadableStream.from([real]);

  const r = await collect([origin + "/"], { sitemaps: true, exclude: ["excluded"], maxDepth: 1 });
  const sm = sitemapEvents(r.events);
  assert.deepEqual(
    sm.map((
      e,
    ) => [
      new URL(e.url).pathname,
      e.parent && new URL(e.parent).pathname,
      e.kind,
      e.urls,
      e.admitted,
    ]),
    [
      ["/index.xml", null, "sitemapindex", 2, 0],
      ["/a.xml", "/index.xml", "urlset", 4, 2],
      ["/b.xml.gz", "/index.xml", "urlset", 1, 1],
      ["/sitemap.xml", null, "text", 2, 1],
    ],
  );
  assert.ok(sm.every((e) => !e.truncated && e.bytes > 0));
  const p1 = r.byUrl.get(origin + "/p1") as PageEvent;
  assert.equal(p1.type, "page");
  assert.equal(p1.depth, 0);
  assert.equal(p1.parent, origin + "/a.xml");
  assert.equal(p1.source, "sitemap");
  assert.equal(p1.lastmod, "2024-05-01");
  const p2 = r.byUrl.get(origin + "/p2") as PageEvent;
  assert.equal(p2.lastmod, null);
  assert.equal(p2.parent, origin + "/sitemap.xml");
  assert.equal((r.byUrl.get(origin + "/from-gz") as PageEvent).status, 200);
  // robots.txt still applies to sitemap URLs
  const secret = r.byUrl.get(origin + "/private/x");
  assert.equal(secret?.type, "skipped");
  assert.equal((secret as { source?: string }).source, "sitemap");
  assert.equal(srv.hits.get("/private/x"), undefined);
  // links of sitemap pages are followed at depth 1; seeds keep no source
  assert.equal((r.byUrl.get(origin + "/linked") as PageEvent).depth, 1);
  assert.equal("source" in (r.byUrl.get(origin + "/") as PageEvent), false);
  assert.equal(srv.hits.get("/excluded-1"), undefined);
  // sitemaps were read before any link was followed
  const firstPage = r.events.findIndex((e) => e.type === "page");
  const lastSitemap = r.events.findLastIndex((e) => e.type === "sitemap");
  assert.ok(lastSitemap < firstPage, "sitemap events come first");
});

Deno.test("crawl() without sitemaps reads none", async () => {
  await using srv = serveRoutes({
    "/": { body: "x" },
    "/sitemap.xml": { headers: XML, body: urlset(["http://127.0.0.1:1/x"]) },
  });
  const r = await collect([srv.origin + "/"], { ignoreRobots: true });
  assert.equal(sitemapEvents(r.events).length, 0);
  assert.equal(srv.hits.get("/sitemap.xml"), undefined);
});

Deno.test("crawl() reads an index that lists itself or its ancestor once", async () => {
  let origin = "";
  await using srv = serveRoutes({
    "/": { body: "home" },
    "/sitemap.xml": {
      headers: XML,
      body: () =>
        ReadableStream.from([
          new TextEncoder().encode(index([`${origin}/sitemap.xml`, `${origin}/child.xml`])),
        ]),
    },
    "/child.xml": {
      headers: XML,
      body: () =>
        ReadableStream.from([
          new TextEncoder().encode(
            index([`${origin}/sitemap.xml`, `${origin}/child.xml`, `${origin}/leaf.xml`]),
          ),
        ]),
    },
    "/leaf.xml": {
      headers: XML,
      body: () => ReadableStream.from([new TextEncoder().encode(urlset([`${origin}/page`]))]),
    },
    "/page": { body: "page" },
  });
  origin = srv.origin;
  const r = await collect([origin + "/"], { sitemaps: true, ignoreRobots: true });
  assert.equal(srv.hits.get("/sitemap.xml"), 1);
  assert.equal(srv.hits.get("/child.xml"), 1);
  assert.equal(srv.hits.get("/leaf.xml"), 1);
  assert.equal(sitemapEvents(r.events).length, 3);
  assert.equal((r.byUrl.get(origin + "/page") as PageEvent).source, "sitemap");
});

Deno.test("crawl() reads a 256 MB gzip bomb sitemap only up to maxBytes", async () => {
  let origin = "";
  let produced = 0;
  const space = new TextEncoder().encode(" ".repeat(65536));
  const head = () =>
    new TextEncoder().encode(`<urlset xmlns="${NS}"><url><loc>${origin}/first</loc></url>`);
  await using srv = serveRoutes({
    "/": { body: "home" },
    "/first": { body: "first" },
    "/sitemap.xml": {
      headers: { "content-type": "application/gzip" },
      body: () => {
        let sentHead = false;
        const plain = new ReadableStream<BufferSource>({
          pull(c) {
            if (!sentHead) {
              sentHead = true;
              c.enqueue(head());
              return;
            }
            if (produced >= 256 * 1024 * 1024) return c.close();
            produced += space.byteLength;
            c.enqueue(space);
          },
        }, { highWaterMark: 0 });
        return plain.pipeThrough(new CompressionStream("gzip")) as ReadableStream<Uint8Array>;
      },
    },
  });
  origin = srv.origin;
  const maxBytes = 2 * 1024 * 1024;
  const r = await collect([origin + "/"], { sitemaps: true, ignoreRobots: true, maxBytes });
  const [sm] = sitemapEvents(r.events);
  assert.ok(sm, JSON.stringify(r.errors));
  assert.equal(sm.truncated, true);
  assert.equal(sm.bytes, maxBytes);
  assert.equal(sm.urls, 1);
  assert.equal((r.byUrl.get(origin + "/first") as PageEvent).status, 200);
  // (The compressed bomb is about 1 MB on the wire, so the server may well send it all;
  // what is bounded is what the reader decompresses: sm.bytes.)
  assert.ok(produced > maxBytes, "the bomb is larger than the cap");
});

Deno.test("crawl() reports malformed, wrong-namespace and corrupt gzip sitemaps as sitemap_invalid errors", async () => {
  let origin = "";
  await using srv = serveRoutes({
    "/robots.txt": {
      headers: { "content-type": "text/plain" },
      body: () =>
        ReadableStream.from([new TextEncoder().encode(
          `Sitemap: ${origin}/bad.xml\nSitemap: ${origin}/ns.xml\nSitemap: ${origin}/corrupt.gz\nSitemap: ${origin}/gone.xml\n`,
        )]),
    },
    "/": { body: "home" },
    "/bad.xml": { headers: XML, body: `<urlset xmlns="${NS}"><url><loc>x</url>` },
    "/ns.xml": {
      headers: XML,
      body: `<urlset xmlns="http://evil.test/"><url><loc>/x</loc></url></urlset>`,
    },
    "/corrupt.gz": {
      headers: { "content-type": "application/gzip" },
      body: new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7]),
    },
  });
  origin = srv.origin;
  const r = await collect([origin + "/"], { sitemaps: true });
  const errors = r.errors.filter((e) => e.sitemap);
  assert.deepEqual(errors.map((e: ErrorEvent) => [new URL(e.url).pathname, e.code]), [
    ["/bad.xml", "sitemap_invalid"],
    ["/ns.xml", "sitemap_invalid"],
    ["/corrupt.gz", "sitemap_invalid"],
    ["/gone.xml", "sitemap_invalid"],
  ]);
  assert.match(errors[3].message, /404/);
  // the guessed /sitemap.xml answered 404: no event at all
  assert.equal(r.byUrl.has(origin + "/sitemap.xml"), false);
  assert.equal((r.byUrl.get(origin + "/") as PageEvent).status, 200);
});

Deno.test("crawl() admits sitemap URLs up to maxPages and stops reading", async () => {
  let origin = "";
  await using srv = serveRoutes({
    "/": { body: "home" },
    "/sitemap.xml": {
      headers: XML,
      body: () =>
        ReadableStream.from([
          new TextEncoder().encode(
            urlset(Array.from({ length: 100 }, (_, i) => `${origin}/p${i}`)),
          ),
        ]),
    },
  });
  origin = srv.origin;
  const r = await collect([origin + "/"], { sitemaps: true, ignoreRobots: true, maxPages: 5 });
  assert.equal(r.pages.length + r.errors.length, 5);
  assert.equal(r.done.reason, "max_pages");
  const [sm] = sitemapEvents(r.events);
  assert.equal(sm.admitted, 4);
});

Deno.test("crawl() stops at once when aborted while a sitemap is being read", async () => {
  let cancelled = false;
  await using srv = serveRoutes({
    "/": { body: "home" },
    "/sitemap.xml": {
      headers: XML,
      body: () =>
        new ReadableStream<Uint8Array>({
          start(c) {
            c.enqueue(new TextEncoder().encode(`<urlset xmlns="${NS}">`));
          },
          cancel() {
            cancelled = true;
          },
        }),
    },
  });
  const ac = new AbortController();
  const started = Date.now();
  const timer = setTimeout(() => ac.abort(), 300);
  try {
    const r = await collect([srv.origin + "/"], { sitemaps: true, ignoreRobots: true }, {
      signal: ac.signal,
    });
    assert.equal(r.done.reason, "aborted");
    assert.equal(r.pages.length, 0, "the seed waits for the sitemap phase");
  } finally {
    clearTimeout(timer);
  }
  assert.ok(Date.now() - started < 10_000, "the crawl ended well before the 15 s request deadline");
  for (let i = 0; i < 100 && !cancelled; i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(cancelled, "the sitemap response was cancelled");
});
