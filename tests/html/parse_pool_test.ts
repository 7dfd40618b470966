import assert from "node:assert/strict";
import { ParsePool } from "../../src/html/parse_pool.ts";

Deno.test("ParsePool.extract() resolves links in the page's encoding on a worker", async () => {
  await using pool = new ParsePool(1);
  async function* chunks() {
    yield Uint8Array.from(
      `<title>Caf\xe9</title><a href="/s?q=caf\xe9">x</a>`,
      (c) => c.charCodeAt(0),
    );
  }
  const info = await pool.extract(
    chunks(),
    "text/html; charset=windows-1252",
    "http://a.test/",
    new AbortController().signal,
  );
  assert.equal(info.title, "Café");
  assert.deepEqual(info.links, ["http://a.test/s?q=caf%E9"]);
});
