import assert from "node:assert/strict";
import type { PageEvent } from "../../src/crawl/events.ts";
import { NO_META } from "../../src/html/page_meta.ts";
import {
  docId,
  expandPage,
  fromQueueRecord,
  frontierUrl,
  keyOfDocId,
  storedFields,
  toFrontierEntry,
  toFrontierRecord,
  toQueueGroups,
  toStoredEvent,
} from "../../src/store/mongo/records.ts";

function page(over: Partial<PageEvent> = {}): PageEvent {
  return {
    type: "page",
    url: "http://a.test/p",
    finalUrl: "http://a.test/p",
    status: 200,
    depth: 1,
    parent: "http://a.test/",
    contentType: "text/html",
    title: "T",
    links: ["http://a.test/1"],
    bytes: 10,
    ms: 1.5,
    attempts: 1,
    meta: { ...NO_META, lang: "en" },
    contentHash: null,
    content: null,
    ...over,
  };
}

Deno.test("storedFields() leaves out a page's nulls, a finalUrl equal to url and one attempt", () => {
  assert.deepStrictEqual(storedFields(page()), {
    type: "page",
    url: "http://a.test/p",
    status: 200,
    depth: 1,
    parent: "http://a.test/",
    contentType: "text/html",
    title: "T",
    links: ["http://a.test/1"],
    bytes: 10,
    ms: 1.5,
    meta: { lang: "en" },
  });
});

Deno.test("expandPage() gives back every page storedFields() stored, field for field", () => {
  const cases: PageEvent[] = [
    page(),
    page({ finalUrl: "http://a.test/q", attempts: 3, parent: null, title: null }),
    page({ meta: null, contentHash: "ab".repeat(32), content: "x", contentTruncated: true }),
    page({ meta: NO_META }),
    page({ meta: NO_META, contentHash: "ab".repeat(32) }),
    page({ meta: null }),
    page({ meta: { ...NO_META, robots: ["noindex"], alternates: { de: "http://a.test/de" } } }),
    page({ source: "sitemap", lastmod: null }),
  ];
  for (const p of cases) {
    const back = toStoredEvent({ ...storedFields(p), _id: "x", jobId: "j", seq: 4 } as never);
    assert.deepStrictEqual(back, { seq: 4, key: p.url, event: p });
  }
  // `meta: null` and a `meta` with nothing found stay apart: left out where `contentHash`
  // tells which it was (a page parsed has both, one not parsed neither), stored otherwise.
  const hash = "ab".repeat(32);
  assert.equal("meta" in storedFields(page({ meta: null })), false);
  assert.equal("meta" in storedFields(page({ meta: NO_META, contentHash: hash })), false);
  assert.deepStrictEqual(storedFields(page({ meta: NO_META })).meta, {});
  assert.equal(storedFields(page({ meta: null, contentHash: hash })).meta, null);
});

Deno.test("expandPage() reads a page stored before stop 20 without meta as one not parsed", () => {
  // Stop 19 left `meta` out only when it was null, and kept `{}` for nothing found.
  const { meta: _, ...stored } = storedFields(page({ meta: null }));
  assert.equal(expandPage(stored).meta, null);
  assert.deepStrictEqual(expandPage({ ...stored, meta: {} }).meta, NO_META);
});

Deno.test("expandPage() returns a page stored whole (before the compact form) as it was", () => {
  const whole = { ...page({ meta: NO_META }) } as unknown as Record<string, unknown>;
  assert.deepStrictEqual(expandPage(whole), whole);
});

Deno.test("expandPage() puts a page's fields back in the engine's order", () => {
  const p = page({ contentHash: "ab", content: "x", contentTruncated: false, source: "sitemap" });
  const back = toStoredEvent({ ...storedFields(p), _id: "x", jobId: "j", seq: 1 } as never);
  assert.deepStrictEqual(JSON.stringify(back.event), JSON.stringify(p));
});

Deno.test("toQueueGroups() keeps a chunk's URLs in order, one group per run of one parent", () => {
  const urls = [
    { url: "http://a.test/1", depth: 1, parent: "http://a.test/" },
    { url: "http://a.test/2", depth: 1, parent: "http://a.test/" },
    {
      url: "http://a.test/s1",
      depth: 0,
      parent: "http://a.test/sm.xml",
      source: "sitemap" as const,
      lastmod: "2024-01-01",
    },
    {
      url: "http://a.test/s2",
      depth: 0,
      parent: "http://a.test/sm.xml",
      source: "sitemap" as const,
      lastmod: null,
    },
    { url: "http://a.test/3", depth: 2, parent: "http://a.test/1" },
    { url: "http://a.test/4", depth: 1, parent: "http://a.test/" },
    { url: "http://a.test/", depth: 0, parent: null },
  ];
  const groups = toQueueGroups(urls);
  assert.deepStrictEqual(groups.map((g) => g.urls.length), [2, 2, 1, 1, 1]);
  assert.deepStrictEqual(groups[1].lastmods, ["2024-01-01", null]);
  const rec = { _id: "x", jobId: "j", host: "a.test", n: 1, groups, w: "w", b: 1, blk: "0" };
  assert.deepStrictEqual(fromQueueRecord(rec), urls);
  // A chunk written before the groups lists each URL as a document: read the same.
  assert.deepStrictEqual(fromQueueRecord({ ...rec, groups: undefined, urls }), urls);
});

Deno.test("storedFields() refuses a field name BSON cannot store, in meta too", () => {
  const bad = page({ meta: { ...NO_META, alternates: { "en.us": "http://a.test/en" } } });
  assert.throws(() => storedFields(bad), TypeError);
  const extra = { ...page(), $where: 1 } as unknown as PageEvent;
  assert.throws(() => storedFields(extra), TypeError);
});

Deno.test("toFrontierRecord() stores the job and URL once, in _id; frontierUrl() reads them back", () => {
  const q = { url: "http://a.test/x:y?z=1", depth: 2, parent: null };
  const r = toFrontierRecord("job:1", q, { w: "w1", b: 3, blk: "0" });
  assert.deepStrictEqual(r, { _id: docId("job:1", q.url), depth: 2, w: "w1", b: 3, blk: "0" });
  assert.equal(frontierUrl(r), q.url);
  assert.deepStrictEqual(toFrontierEntry(r, "page"), {
    url: q.url,
    depth: 2,
    parent: null,
    state: "page",
  });
  const withParent = toFrontierRecord("j", { ...q, parent: "http://a.test/" });
  assert.equal(withParent.parent, "http://a.test/");
  // An entry written before stop 20 holds its URL and job too.
  const old = {
    _id: docId("j", "http://a.test/old"),
    jobId: "j",
    url: "http://a.test/old",
    depth: 1,
  };
  assert.equal(frontierUrl(old), "http://a.test/old");
});

Deno.test("keyOfDocId() undoes docId(), colons in job and key included; refuses other strings", () => {
  for (const [job, key] of [["j", "k"], ["a:b", "c"], ["a", "b:c"], ["", "x"], ["j", ""]]) {
    assert.equal(keyOfDocId(docId(job, key)), key);
  }
  for (const bad of ["", "x", "5:ab:c", "2:abc", ":j:k"]) {
    assert.throws(() => keyOfDocId(bad), TypeError, bad);
  }
});
