import assert from "node:assert/strict";
import { startFixtureServer } from "../../fixtures/server.ts";
import { ndjson, startTestApp } from "../service/_app.ts";

// Issue 9 item 3: with robots.txt obeyed, the new host's robots.txt fetch is
// the first thing the guard refuses; that must not read as "robots.txt
// unreachable, disallow all".
Deno.test("service: a redirect into a refused address is blocked_address, not robots", async () => {
  await using site = startFixtureServer();
  await using other = startFixtureServer({ hostname: "127.0.0.2" });
  await using app = startTestApp({ CRAWLER_ALLOW_NETS: "127.0.0.1/32" });
  const to = encodeURIComponent(`${other.origin}/a.html`);
  const res = await app.call("POST", "/jobs", {
    json: { urls: [`${site.origin}/h/redirect?to=${to}`], options: { scope: "all" } },
    headers: { accept: "application/x-ndjson" },
  });
  const events = await ndjson<{ type: string; code?: string; message?: string }>(res);
  assert.equal(events[0].type, "error", JSON.stringify(events[0]));
  assert.equal(events[0].code, "blocked_address", events[0].message);
  assert.equal(other.hits.size, 0, "the refused host saw nothing, robots.txt included");
  assert.equal(site.hits.get("/robots.txt"), 1, "the allowed host's robots.txt was read");
});
