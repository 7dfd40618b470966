import assert from "node:assert/strict";
import { loadConfig } from "../../src/service/config.ts";
import { startService } from "../../src/service/start_service.ts";
import { MemoryStore } from "../../src/store/memory_store.ts";

Deno.test("startService() with the guard off crawls through skein's own client, not fetch", async () => {
  // skein's client offers "gzip, deflate, br"; Deno's fetch offers "gzip, br".
  const offered: string[] = [];
  await using site = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    offered.push(req.headers.get("accept-encoding") ?? "");
    return new Response("<title>x</title>", { headers: { "content-type": "text/html" } });
  });
  const config = loadConfig({ PORT: "0", HOST: "127.0.0.1", CRAWLER_ALLOW_PRIVATE: "1" });
  const svc = await startService(config, { store: new MemoryStore(), log: () => {} });
  try {
    const res = await fetch(`http://127.0.0.1:${svc.port}/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/x-ndjson" },
      body: JSON.stringify({
        urls: [`http://127.0.0.1:${site.addr.port}/`],
        options: { ignoreRobots: true, maxPages: 1 },
      }),
    });
    assert.equal(res.status, 200);
    const events = (await res.text()).trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(events.at(-1).type, "done");
    assert.equal(events.find((e) => e.type === "page")?.status, 200);
    assert.deepEqual(offered, ["gzip, deflate, br"]);
  } finally {
    await svc.stop();
  }
});
