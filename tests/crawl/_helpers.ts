import assert from "node:assert/strict";
import type { CrawlEvent, DoneEvent, ErrorEvent, PageEvent } from "../../src/crawl/events.ts";
import { crawl, type CrawlContext } from "../../src/crawl/crawl.ts";
import { shardedCrawl, type ShardedCrawlContext } from "../../src/crawl/sharded_crawl.ts";
import { NdjsonText } from "../../src/streams/write_ndjson.ts";
import type { CrawlOptions } from "../../src/crawl/options.ts";

/** Everything a crawl yielded, checked for the invariants every crawl keeps. */
export interface Collected {
  events: CrawlEvent[];
  pages: PageEvent[];
  errors: ErrorEvent[];
  done: DoneEvent;
  byUrl: Map<string, CrawlEvent>;
}

/** Runs a crawl to the end and checks: one `done`, last; each URL at most once. */
export async function collect(
  seeds: string[],
  options: Partial<CrawlOptions> = {},
  context: CrawlContext = {},
): Promise<Collected> {
  const events: CrawlEvent[] = [];
  for await (const e of crawl(seeds, options, context)) events.push(e);
  return checked(events, context.resume !== undefined);
}

/** {@linkcode collect} for a crawl over threads; the workers' NDJSON batches are parsed. */
export async function collectSharded(
  seeds: string[],
  options: Partial<CrawlOptions>,
  context: ShardedCrawlContext,
): Promise<Collected> {
  const events: CrawlEvent[] = [];
  for await (const e of shardedCrawl(seeds, options, context)) {
    if (!(e instanceof NdjsonText)) events.push(e);
    else for (const line of e.text.split("\n")) if (line !== "") events.push(JSON.parse(line));
  }
  return checked(events, false);
}

function checked(events: CrawlEvent[], resumed: boolean): Collected {
  const dones = events.filter((e) => e.type === "done");
  assert.equal(dones.length, 1, "exactly one done event");
  assert.equal(events.at(-1)?.type, "done", "done is last");
  const byUrl = new Map<string, CrawlEvent>();
  for (const e of events) {
    if (e.type === "done") continue;
    assert.ok(!byUrl.has(e.url), `URL ${e.url} reported twice`);
    byUrl.set(e.url, e);
  }
  const done = dones[0] as DoneEvent;
  const pages = events.filter((e): e is PageEvent => e.type === "page");
  const errors = events.filter((e): e is ErrorEvent => e.type === "error");
  if (!resumed) {
    assert.equal(done.stats.pages, pages.length);
    assert.equal(done.stats.errors, errors.length);
  }
  return { events, pages, errors, done, byUrl };
}

/** Paths of URLs, for readable assertions. */
export function paths(urls: Iterable<string>): string[] {
  return [...urls].map((u) => {
    const x = new URL(u);
    return x.pathname + x.search;
  }).sort();
}

/** The paths the fixture site's crawl from `/index.html` fetches (depth 10). */
export const EXPECTED_PAGES = [
  "/A.HTML",
  "/a.html",
  "/a.html?x=1",
  "/area.html",
  "/b/index.html",
  "/bom.html",
  "/c.html",
  "/deep/d.html",
  "/image.png",
  "/index.html",
  "/latin1.html",
  "/meta-nofollow.html",
  "/sjis.html",
  "/win1251.html",
  "/wrong-type.txt",
  "/~user/page.html",
];
