import assert from "node:assert/strict";
import { ndjson, startTestApp } from "./_app.ts";
import { serveRoutes } from "../content/_routes.ts";
import { MongoStore } from "../../src/store/mongo/mongo_store.ts";
import type { Store } from "../../src/store/store.ts";
import { dropDatabase, freshDbName, mongoTestConfig } from "../_mongo.ts";

const ARTICLE = `<html lang="en"><head><title>Story</title>
<meta name="description" content="About the story"><link rel="canonical" href="/story"></head>
<body><nav><a href="/">Home</a></nav><article><h1>A story</h1>
<p>First paragraph of the story, long enough to be content, with commas, yes.</p></article></body></html>`;

type Page = Record<string, unknown>;

async function waitDone(app: ReturnType<typeof startTestApp>, id: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const j = await (await app.call("GET", `/jobs/${id}`)).json();
    if (j.status === "completed") return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`job ${id} did not complete within 10 s`);
}

async function contentJob(store?: Store): Promise<void> {
  let origin = "";
  await using site = serveRoutes({
    "/story": { body: ARTICLE },
    "/sitemap.xml": {
      headers: { "content-type": "text/plain" },
      body: () => ReadableStream.from([new TextEncoder().encode(`${origin}/story\n`)]),
    },
  });
  origin = site.origin;
  await using app = startTestApp({}, { store });
  const res = await app.call("POST", "/jobs", {
    json: {
      urls: [`${origin}/`],
      options: { content: "markdown", sitemaps: true, ignoreRobots: true },
    },
  });
  assert.equal(res.status, 201, await res.clone().text());
  const job = await res.json();
  const events = await ndjson<Page>(await app.call("GET", job.links.events));
  const sm = events.find((e) => e.type === "sitemap");
  assert.equal(sm?.url, `${origin}/sitemap.xml`);
  assert.equal(sm?.urls, 1);
  const fromEvents = events.find((e) => e.url === `${origin}/story`);
  assert.equal(fromEvents?.source, "sitemap");
  await waitDone(app, job.id);

  const pages = await ndjson<Page>(await app.call("GET", job.links.pages));
  const story = pages.find((p) => p.url === `${origin}/story`)!;
  assert.equal((story.meta as Page).description, "About the story");
  assert.equal((story.meta as Page).canonical, `${origin}/story`);
  assert.match(story.contentHash as string, /^[0-9a-f]{64}$/);
  assert.equal(
    story.content,
    "# A story\n\nFirst paragraph of the story, long enough to be content, with commas, yes.",
  );
  assert.equal(story.parent, `${origin}/sitemap.xml`);

  const only = await ndjson<Page>(
    await app.call("GET", `${job.links.pages}?fields=title,content&url=${origin}/story`),
  );
  assert.deepEqual(only, [{ title: "Story", content: story.content }]);

  const bad = await app.call("GET", `${job.links.pages}?fields=url,bogus`);
  assert.equal(bad.status, 400);
  const body = await bad.json();
  assert.equal(body.error.field, "fields");
  assert.match(body.error.message, /bogus/);

  const badOpt = await app.call("POST", "/jobs", {
    json: { urls: [`${origin}/`], options: { content: "pdf" } },
  });
  assert.equal(badOpt.status, 400);
  await badOpt.body?.cancel();
}

Deno.test("the service stores and returns meta, content and sitemap pages (MemoryStore)", async () => {
  await contentJob();
});

const cfg = mongoTestConfig();
Deno.test({
  name: "the service stores and returns meta, content and sitemap pages (MongoStore)",
  ignore: cfg.ignore,
  async fn() {
    if (cfg.uri === null) throw new Error(cfg.reason);
    const db = freshDbName();
    const store = new MongoStore(cfg.uri, db);
    await store.init();
    try {
      await contentJob(store);
    } finally {
      await store.close();
      await dropDatabase(cfg.uri, db);
    }
  },
});
