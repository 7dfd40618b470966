import assert from "node:assert/strict";
import { MemoryStore } from "../../src/store/memory_store.ts";
import { storeContract } from "./contract.ts";
import { NO_META } from "../../src/html/page_meta.ts";

storeContract("MemoryStore", () => {
  const store = new MemoryStore();
  return Promise.resolve({ store, cleanup: () => store.close() });
});

Deno.test("MemoryStore keeps its own copy of an event: changing the written one later changes nothing", async () => {
  const store = new MemoryStore();
  const meta = {
    ...NO_META,
    lang: "en",
    robots: ["noindex"],
    alternates: { de: "http://a.test/de" },
  };
  const event = {
    type: "page" as const,
    url: "http://a.test/",
    finalUrl: "http://a.test/",
    status: 200,
    depth: 0,
    parent: null,
    contentType: "text/html",
    title: "T",
    links: ["http://a.test/1"],
    bytes: 1,
    ms: 1,
    attempts: 1,
    meta,
    contentHash: null,
    content: null,
  };
  await store.write("j", { frontier: [], events: [{ seq: 1, key: event.url, event }] });
  meta.robots.push("nofollow");
  meta.alternates.de = "http://evil.test/";
  event.links.push("http://a.test/2");
  const [stored] = await store.readEvents("j", 0, 10);
  assert.deepStrictEqual(stored.event, {
    ...event,
    links: ["http://a.test/1"],
    meta: { ...meta, robots: ["noindex"], alternates: { de: "http://a.test/de" } },
  });
  await store.close();
});
