import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { collect } from "../crawl/_helpers.ts";
import { serveRoutes } from "./_routes.ts";
import type { PageEvent } from "../../src/crawl/events.ts";

const PAGE = `<html lang="en"><head><title>Home</title>
<meta name="description" content="Home page"></head>
<body><a href="/a">a</a></body></html>`;

function sha256(s: string): string {
  return createHash("sha256").update(new TextEncoder().encode(s)).digest("hex");
}

for (const parseWorkers of [0, 1]) {
  Deno.test(`crawl() gives pages meta and contentHash (parseWorkers ${parseWorkers})`, async () => {
    await using srv = serveRoutes({
      "/": { body: PAGE },
      "/a": { body: "<title>A</title>" },
      "/img": { headers: { "content-type": "image/png" }, body: "PNG" },
    });
    const r = await collect([srv.origin + "/", srv.origin + "/img"], {
      ignoreRobots: true,
      parseWorkers,
    });
    const home = r.byUrl.get(srv.origin + "/") as PageEvent;
    assert.equal(home.contentHash, sha256(PAGE));
    assert.equal(home.meta?.description, "Home page");
    assert.equal(home.meta?.lang, "en");
    assert.equal(home.content, null, "content mode none");
    assert.equal("source" in home, false);
    const a = r.byUrl.get(srv.origin + "/a") as PageEvent;
    assert.equal(a.contentHash, sha256("<title>A</title>"));
    assert.equal(a.meta?.description, null);
    const img = r.byUrl.get(srv.origin + "/img") as PageEvent;
    assert.equal(img.meta, null, "not HTML: no meta");
    assert.equal(img.contentHash, null, "body not read: no hash");
  });
}

Deno.test("crawl() honours X-Robots-Tag nofollow and reports it in meta.robots", async () => {
  await using srv = serveRoutes({
    "/": {
      headers: { "content-type": "text/html", "x-robots-tag": "noarchive, skein: nofollow" },
      body: `<meta name="robots" content="noindex"><a href="/a">a</a>`,
    },
    "/other": {
      headers: { "content-type": "text/html", "x-robots-tag": "otherbot: nofollow" },
      body: `<a href="/b">b</a>`,
    },
    "/a": { body: "a" },
    "/b": { body: "b" },
  });
  const r = await collect([srv.origin + "/", srv.origin + "/other"], { ignoreRobots: true });
  const home = r.byUrl.get(srv.origin + "/") as PageEvent;
  assert.deepEqual(home.meta?.robots, ["noindex", "noarchive", "nofollow"]);
  assert.deepEqual(home.links, []);
  assert.equal(srv.hits.get("/a"), undefined, "nofollow link not fetched");
  const other = r.byUrl.get(srv.origin + "/other") as PageEvent;
  assert.deepEqual(other.links, [srv.origin + "/b"], "directive for another agent ignored");
  assert.equal(other.meta?.robots, null);
});

const ARTICLE = `<html><head><title>Story</title></head><body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>A story</h1><p>First paragraph of the story, long enough to be content, with commas, yes.</p>
<p>Second paragraph, with a <a href="/more">link</a> in it, and more words to make it count.</p></article>
<footer>Copyright 2024</footer></body></html>`;

for (const parseWorkers of [0, 1]) {
  Deno.test(`crawl() gives pages content in text, markdown and html modes (parseWorkers ${parseWorkers})`, async () => {
    await using srv = serveRoutes({
      "/": { body: ARTICLE },
      "/img": { headers: { "content-type": "image/png" }, body: "PNG" },
    });
    const seeds = [srv.origin + "/", srv.origin + "/img"];
    const base = { ignoreRobots: true, parseWorkers, maxDepth: 0 };
    const text = await collect(seeds, { ...base, content: "text" });
    const t = text.byUrl.get(srv.origin + "/") as PageEvent;
    assert.equal(
      t.content,
      "A story\n\nFirst paragraph of the story, long enough to be content, with commas, yes.\n\n" +
        "Second paragraph, with a link in it, and more words to make it count.",
    );
    assert.equal(t.contentTruncated, false);
    assert.equal((text.byUrl.get(srv.origin + "/img") as PageEvent).content, null);
    const md = await collect(seeds, { ...base, content: "markdown" });
    assert.match(
      (md.byUrl.get(srv.origin + "/") as PageEvent).content!,
      new RegExp(`^# A story\\n\\n[^]*\\[link\\]\\(${srv.origin}/more\\)`),
    );
    const html = await collect(seeds, { ...base, content: "html" });
    assert.equal((html.byUrl.get(srv.origin + "/") as PageEvent).content, ARTICLE);
  });
}
