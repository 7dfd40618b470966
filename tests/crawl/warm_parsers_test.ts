import assert from "node:assert/strict";
import { loadPageParsers } from "../../src/crawl/fetch_page.ts";
import { warmParsers, warmParsersOnce } from "../../src/crawl/warm_parsers.ts";

Deno.test("warmParsers() runs the built-in page through the real parsers, each round", async () => {
  const parsers = await loadPageParsers();
  let hashed = 0;
  const counting = {
    ...parsers,
    BodyHash: class extends parsers.BodyHash {
      override update(bytes: Uint8Array): void {
        hashed += bytes.byteLength;
        super.update(bytes);
      }
    },
  };
  assert.equal(warmParsers(counting, 3), 3 * 41, "40 listed links and Home, each round");
  assert.ok(hashed > 3 * 2000, `the page was hashed each round (${hashed} bytes)`);
});

Deno.test("warmParsersOnce() warms up the first time only", async () => {
  const parsers = await loadPageParsers();
  assert.equal(warmParsersOnce(parsers), true);
  assert.equal(warmParsersOnce(parsers), false);
});
