import assert from "node:assert/strict";
import { systemResolver } from "../../src/net/resolver.ts";
import { cachedResolver } from "../../src/net/cached_resolver.ts";

Deno.test("systemResolver() resolves localhost through the system resolver", async () => {
  const addresses = await systemResolver("localhost", new AbortController().signal);
  assert.ok(addresses.length > 0);
  assert.ok(
    addresses.some((a) =>
      (a.family === 4 && a.address.startsWith("127.")) || (a.family === 6 && a.address === "::1")
    ),
    JSON.stringify(addresses),
  );
  for (const a of addresses) assert.ok(a.family === 4 || a.family === 6);
});

Deno.test("systemResolver() rejects with the reason when already aborted", async () => {
  const reason = new Error("stop");
  await assert.rejects(systemResolver("localhost", AbortSignal.abort(reason)), (e) => e === reason);
});

Deno.test("cachedResolver(systemResolver) answers localhost twice from one lookup", async () => {
  let lookups = 0;
  const resolve = cachedResolver((host, signal) => {
    lookups++;
    return systemResolver(host, signal);
  });
  const signal = new AbortController().signal;
  const first = await resolve("localhost", signal);
  assert.deepEqual(await resolve("localhost", signal), first);
  assert.equal(lookups, 1);
});
