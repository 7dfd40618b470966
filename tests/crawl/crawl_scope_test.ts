import assert from "node:assert/strict";
import type { FetcherInit } from "../../src/net/fetcher.ts";
import { collect } from "./_helpers.ts";

// This file must not load the public suffix list itself: the crawl has to (tests run
// each file in its own isolate, so nothing else loaded it either).
Deno.test("crawl() with scope domain loads the public suffix list itself and follows sibling hosts", async () => {
  const requested: string[] = [];
  const fetcher = (url: string, _init: FetcherInit): Promise<Response> => {
    requested.push(url);
    const body = url === "http://www.example.co.uk/"
      ? `<a href="http://shop.example.co.uk/x">shop</a><a href="http://other.co.uk/">other</a>`
      : "leaf";
    return Promise.resolve(new Response(body, { headers: { "content-type": "text/html" } }));
  };
  const run = await collect(["http://www.example.co.uk/"], {
    scope: "domain",
    ignoreRobots: true,
  }, { fetcher });
  assert.equal(run.done.reason, "complete");
  assert.deepEqual(requested.sort(), ["http://shop.example.co.uk/x", "http://www.example.co.uk/"]);
});
