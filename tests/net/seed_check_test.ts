import assert from "node:assert/strict";
import { findBlockedSeed } from "../../src/net/seed_check.ts";
import type { Resolver } from "../../src/net/resolver.ts";

const policy = { allowNets: [], allowedPorts: null };

function resolver(table: Record<string, string[]>, asked: string[] = []): Resolver {
  return (host) => {
    asked.push(host);
    const a = table[host];
    if (!a) return Promise.reject(Object.assign(new Error("not found"), { code: "ENOTFOUND" }));
    return Promise.resolve(a.map((address) => ({ address, family: 4 as const })));
  };
}

Deno.test("findBlockedSeed() refuses a host name that resolves to a blocked address", async () => {
  const asked: string[] = [];
  const resolve = resolver({ "good.test": ["93.184.215.14"], "evil.test": ["10.1.2.3"] }, asked);
  const hit = await findBlockedSeed(["http://good.test/", "http://evil.test/x"], policy, {
    resolve,
  });
  assert.equal(hit?.index, 1);
  assert.equal(hit?.error.code, "blocked_address");
  assert.match(hit!.error.message, /evil\.test resolves to 10\.1\.2\.3/);
  assert.deepEqual(asked, ["good.test", "evil.test"]);
});

Deno.test("findBlockedSeed() checks IP literals without DNS", async () => {
  const asked: string[] = [];
  const hit = await findBlockedSeed(["http://0x7f.1/"], policy, { resolve: resolver({}, asked) });
  assert.equal(hit?.error.code, "blocked_address");
  assert.deepEqual(asked, []);
});

Deno.test("findBlockedSeed() lets an unresolvable name through (the crawl reports dns)", async () => {
  const hit = await findBlockedSeed(["http://nowhere.test/"], policy, { resolve: resolver({}) });
  assert.equal(hit, null);
});

Deno.test("findBlockedSeed() lets a name through whose lookup outlasts the timeout", async () => {
  const hanging: Resolver = (_h, signal) =>
    new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
  const t0 = performance.now();
  const hit = await findBlockedSeed(["http://slow.test/"], policy, {
    resolve: hanging,
    resolveTimeoutMs: 50,
  });
  assert.equal(hit, null);
  assert.ok(performance.now() - t0 < 5000, "the timeout bounded the lookup");
});

Deno.test("findBlockedSeed() refuses a port outside the allowed ports", async () => {
  const hit = await findBlockedSeed(["http://93.184.215.14:8080/"], {
    allowNets: [],
    allowedPorts: new Set([80, 443]),
  });
  assert.equal(hit?.error.code, "blocked_port");
});

Deno.test("findBlockedSeed() rejects with the reason when its signal aborts", async () => {
  const ac = new AbortController();
  ac.abort(new Error("stop"));
  await assert.rejects(
    findBlockedSeed(["http://good.test/"], policy, { signal: ac.signal }),
    /stop/,
  );
});
