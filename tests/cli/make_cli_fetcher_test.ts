import assert from "node:assert/strict";
import { makeCliFetcher } from "../../src/cli/make_cli_fetcher.ts";
import { defaultFetcher } from "../../src/net/fetcher.ts";

Deno.test("makeCliFetcher() uses Deno's fetch when a proxy is configured, its own client otherwise", async () => {
  assert.equal(
    await makeCliFetcher(false, null, { HTTPS_PROXY: "http://proxy.test:3128" }),
    defaultFetcher,
  );
  const own = await makeCliFetcher(false, null, {});
  assert.notEqual(own, defaultFetcher);
  await own[Symbol.asyncDispose]?.();
});
