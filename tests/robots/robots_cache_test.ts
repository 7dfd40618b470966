import assert from "node:assert/strict";
import { RobotsCache } from "../../src/robots/robots_cache.ts";
import { ALLOW_ALL } from "../../src/robots/robots_rules.ts";

Deno.test("RobotsCache loads each origin once", async () => {
  let loads = 0;
  const cache = new RobotsCache(() => {
    loads++;
    return Promise.resolve(ALLOW_ALL);
  });
  await Promise.all([
    cache.get("http://a.test"),
    cache.get("http://a.test"),
    cache.get("http://b.test"),
  ]);
  assert.equal(loads, 2);
});
