import assert from "node:assert/strict";
import { Frontier, type FrontierOptions, type Task } from "../../src/crawl/frontier.ts";

const OPEN: FrontierOptions = { perHost: 100, delayMs: 0, maxPages: 1000 };
const task = (url: string, depth = 0): Task => ({ url, depth, parent: null });

/** Takes tasks at `now` until none is ready. */
function drain(f: Frontier, now = 0): string[] {
  const got: string[] = [];
  for (let t; (t = f.next(now)) !== null;) got.push(t.url);
  return got;
}

Deno.test("Frontier.add() queues each URL once and says whether it did", () => {
  const f = new Frontier(OPEN);
  assert.equal(f.add(task("http://a.test/")), true);
  assert.equal(f.add(task("http://a.test/", 3)), false, "the same URL again");
  assert.equal(f.has("http://a.test/"), true);
  assert.equal(f.has("http://a.test/x"), false);
  assert.equal(f.pending, 1);
  assert.deepEqual(f.next(0), task("http://a.test/"), "the first add wins, depth 0");
  assert.equal(f.pending, 0);
  assert.equal(f.has("http://a.test/"), true, "still seen once taken");
  assert.equal(f.add(task("http://a.test/")), false);
});

Deno.test("Frontier.add() admits maxPages URLs and counts the ones it drops", () => {
  const f = new Frontier({ ...OPEN, maxPages: 3 });
  const added = ["a", "b", "c", "d", "e"].map((p) => f.add(task(`http://a.test/${p}`)));
  assert.deepEqual(added, [true, true, true, false, false]);
  assert.equal(f.admitted, 3);
  assert.equal(f.dropped, 2);
  assert.equal(f.has("http://a.test/d"), false, "a dropped URL is not seen");
  assert.equal(f.add(task("http://a.test/a")), false);
  assert.equal(f.dropped, 2, "a seen URL is not a drop");
});

Deno.test("Frontier.markSeen() keeps a URL out, and counts it towards maxPages when asked", () => {
  const f = new Frontier({ ...OPEN, maxPages: 2 });
  f.markSeen("http://a.test/redirected");
  assert.equal(f.add(task("http://a.test/redirected")), false);
  assert.equal(f.admitted, 0, "a redirect target does not count");
  f.markSeen("http://a.test/done", true);
  f.markSeen("http://a.test/done", true);
  assert.equal(f.admitted, 1, "a resumed result counts once");
  assert.equal(f.add(task("http://a.test/x")), true);
  assert.equal(f.add(task("http://a.test/y")), false);
  assert.equal(f.dropped, 1);
});

Deno.test("Frontier.next() serves one host first in, first out", () => {
  const f = new Frontier(OPEN);
  for (const p of ["1", "2", "3"]) f.add(task(`http://a.test/${p}`));
  assert.deepEqual(drain(f), ["http://a.test/1", "http://a.test/2", "http://a.test/3"]);
});

Deno.test("Frontier.next() takes hosts in turn (round robin)", () => {
  const f = new Frontier(OPEN);
  for (const p of ["1", "2", "3"]) f.add(task(`http://a.test/${p}`));
  for (const p of ["1", "2"]) f.add(task(`http://b.test/${p}`));
  assert.deepEqual(drain(f), [
    "http://a.test/1",
    "http://b.test/1",
    "http://a.test/2",
    "http://b.test/2",
    "http://a.test/3",
  ]);
});

Deno.test("Frontier.next() holds a host to perHost tasks until finish()", () => {
  const f = new Frontier({ ...OPEN, perHost: 2 });
  for (const p of ["1", "2", "3"]) f.add(task(`http://a.test/${p}`));
  f.add(task("http://b.test/1"));
  const first = f.next(0)!;
  assert.deepEqual(drain(f), ["http://b.test/1", "http://a.test/2"]);
  assert.equal(f.pending, 1, "a.test/3 waits for a slot");
  f.finish(first);
  assert.deepEqual(drain(f), ["http://a.test/3"]);
});

Deno.test("Frontier counts perHost per host name, not per port", () => {
  const f = new Frontier({ ...OPEN, perHost: 1 });
  f.add(task("http://a.test:8080/"));
  f.add(task("http://a.test:9090/"));
  assert.deepEqual(drain(f), ["http://a.test:8080/"]);
});

Deno.test("Frontier.next() spaces starts on a host by delayMs, and nextWakeAt() says when", () => {
  const f = new Frontier({ ...OPEN, delayMs: 100 });
  for (const p of ["1", "2"]) f.add(task(`http://a.test/${p}`));
  f.add(task("http://b.test/1"));
  assert.deepEqual(drain(f, 1000), ["http://a.test/1", "http://b.test/1"]);
  assert.equal(f.next(1099), null);
  assert.equal(f.nextWakeAt(1050), 1100);
  assert.equal(f.next(1100)?.url, "http://a.test/2");
  assert.equal(f.nextWakeAt(1100), null, "nothing waits on a delay any more");
});

Deno.test("Frontier.nextWakeAt() ignores hosts that wait for a slot, not a delay", () => {
  const f = new Frontier({ ...OPEN, perHost: 1, delayMs: 100 });
  for (const p of ["1", "2"]) f.add(task(`http://a.test/${p}`));
  f.next(0);
  assert.equal(f.nextWakeAt(10), null, "a.test is full: only finish() can free it");
});

Deno.test("Frontier with probeNewHosts: one task per new host until setHostDelay()", () => {
  const f = new Frontier({ ...OPEN, perHost: 4, delayMs: 10, probeNewHosts: true });
  for (const p of ["1", "2", "3"]) f.add(task(`http://a.test/${p}`));
  assert.deepEqual(drain(f, 0), ["http://a.test/1"]);
  assert.deepEqual(drain(f, 1000), [], "still probing: one at a time");
  f.setHostDelay("http://a.test/", undefined);
  assert.deepEqual(drain(f, 1000), ["http://a.test/2"], "the crawl's delay still applies");
  assert.deepEqual(drain(f, 1010), ["http://a.test/3"]);
});

Deno.test("Frontier.setHostDelay() raises a host's delay (Crawl-delay), never below delayMs", () => {
  const f = new Frontier({ ...OPEN, delayMs: 50 });
  f.setHostDelay("http://slow.test/", 500);
  f.setHostDelay("http://fast.test/", 5);
  for (const h of ["slow", "fast"]) {
    for (const p of ["1", "2"]) f.add(task(`http://${h}.test/${p}`));
  }
  assert.deepEqual(drain(f, 0), ["http://slow.test/1", "http://fast.test/1"]);
  assert.deepEqual(drain(f, 50), ["http://fast.test/2"], "5 ms asked, 50 ms kept");
  assert.deepEqual(drain(f, 499), []);
  assert.deepEqual(drain(f, 500), ["http://slow.test/2"]);
});

Deno.test("Frontier claims each new URL from a shared budget when given one", () => {
  let left = 2;
  const f = new Frontier({ perHost: 4, delayMs: 0, maxPages: 1, claim: () => left-- > 0 });
  assert.equal(f.add({ url: "http://a.test/1", depth: 0, parent: null }), true);
  assert.equal(f.add({ url: "http://a.test/1", depth: 0, parent: null }), false, "seen: no claim");
  assert.equal(
    f.add({ url: "http://a.test/2", depth: 0, parent: null }),
    true,
    "maxPages is not counted here",
  );
  assert.equal(f.add({ url: "http://a.test/3", depth: 0, parent: null }), false);
  assert.equal(f.dropped, 1);
});

Deno.test("Frontier multiplies host delays, robots.txt's included, by delayScale", () => {
  const f = new Frontier({ perHost: 4, delayMs: 100, maxPages: 10, delayScale: 3 });
  for (const p of ["1", "2"]) f.add({ url: `http://a.test/${p}`, depth: 0, parent: null });
  assert.ok(f.next(1000));
  assert.equal(f.next(1299), null);
  assert.ok(f.next(1300));
  f.add({ url: "http://b.test/1", depth: 0, parent: null });
  f.add({ url: "http://b.test/2", depth: 0, parent: null });
  f.setHostDelay("http://b.test/", 200);
  assert.ok(f.next(2000));
  assert.equal(f.nextWakeAt(2000), 2600);
});
