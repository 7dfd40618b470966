import assert from "node:assert/strict";
import type { CrawlEvent, DoneEvent, ErrorEvent, PageEvent } from "../../src/crawl/events.ts";
import { crawl, type CrawlContext } from "../../src/crawl/crawl.ts";
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
  if (!context.resume) {
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
