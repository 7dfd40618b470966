import assert from "node:assert/strict";
import { cachedResolver } from "../../src/net/cached_resolver.ts";
import type { ResolvedAddress } from "../../src/net/resolver.ts";

const A: ResolvedAddress[] = [{ address: "192.0.2.1", family: 4 }];
const live = () => new AbortController().signal;

Deno.test("cachedResolver() asks once per host within the TTL, again after it", async () => {
  let t = 0;
  const calls: string[] = [];
  const resolve = cachedResolver((h) => {
    calls.push(h);
    return Promise.resolve(A);
  }, { ttlMs: 100, now: () => t });
  await resolve("a.test", live());
  await resolve("a.test", live());
  await resolve("b.test", live());
  t = 150;
  await resolve("a.test", live());
  assert.deepEqual(calls, ["a.test", "b.test", "a.test"]);
});

Deno.test("cachedResolver() does not cache failures", async () => {
  let n = 0;
  const resolve = cachedResolver(() => {
    n++;
    return n === 1 ? Promise.reject(new Error("ENOTFOUND")) : Promise.resolve(A);
  });
  await assert.rejects(resolve("a.test", live()), /ENOTFOUND/);
  assert.deepEqual(await resolve("a.test", live()), A);
});

Deno.test("cachedResolver(): one caller's abort does not fail the others", async () => {
  let release!: (a: ResolvedAddress[]) => void;
  const resolve = cachedResolver(() => new Promise((r) => (release = r)));
  const ac = new AbortController();
  const first = resolve("a.test", ac.signal);
  const second = resolve("a.test", live());
  ac.abort(new Error("gave up"));
  await assert.rejects(first, /gave up/);
  release(A);
  assert.deepEqual(await second, A);
});

Deno.test("cachedResolver() forgets the oldest host past maxHosts", async () => {
  const calls: string[] = [];
  const resolve = cachedResolver((h) => {
    calls.push(h);
    return Promise.resolve(A);
  }, { maxHosts: 2 });
  for (const h of ["a", "b", "c", "a"]) await resolve(h, live());
  assert.deepEqual(calls, ["a", "b", "c", "a"]);
});
