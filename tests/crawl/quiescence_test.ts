import assert from "node:assert/strict";
import { Quiescence } from "../../src/crawl/quiescence.ts";

function watch(shards: number) {
  const probes: number[] = [];
  let ended = 0;
  const q = new Quiescence(shards, (w) => probes.push(w), () => ended++);
  return { q, probes, ended: () => ended };
}

Deno.test("Quiescence ends once every shard is idle, the counts balance and hold over a probe", () => {
  const { q, probes, ended } = watch(2);
  q.report(0, { sent: 3, recv: 2, wave: 0 });
  assert.deepEqual(probes, [], "shard 1 has not reported");
  q.report(1, { sent: 2, recv: 3, wave: 0 });
  assert.deepEqual(probes, [1]);
  q.report(1, { sent: 2, recv: 3, wave: 1 });
  assert.equal(ended(), 0, "shard 0 has not answered the probe");
  q.report(0, { sent: 3, recv: 2, wave: 1 });
  assert.equal(ended(), 1);
  q.report(0, { sent: 3, recv: 2, wave: 0 });
  assert.equal(ended(), 1, "ends once");
});

Deno.test("Quiescence waits while a task is on its way between shards", () => {
  const { q, probes, ended } = watch(2);
  q.report(0, { sent: 1, recv: 0, wave: 0 });
  q.report(1, { sent: 0, recv: 0, wave: 0 });
  assert.deepEqual(probes, [], "one sent, none received: no probe");
  q.report(1, { sent: 0, recv: 1, wave: 0 });
  assert.deepEqual(probes, [1]);
  q.report(0, { sent: 1, recv: 0, wave: 1 });
  q.report(1, { sent: 0, recv: 1, wave: 1 });
  assert.equal(ended(), 1);
});

Deno.test("Quiescence does not end when a shard's counts changed between the reports and the probe", () => {
  const { q, probes, ended } = watch(2);
  q.report(0, { sent: 1, recv: 1, wave: 0 });
  q.report(1, { sent: 1, recv: 1, wave: 0 });
  assert.deepEqual(probes, [1]);
  // Shard 1 got a task after its report, worked and sent one back: the sums still balance.
  q.report(0, { sent: 1, recv: 2, wave: 1 });
  q.report(1, { sent: 2, recv: 1, wave: 1 });
  assert.equal(ended(), 0);
  assert.deepEqual(probes, [1, 2], "a new probe from the newer counts");
  q.report(0, { sent: 1, recv: 2, wave: 2 });
  q.report(1, { sent: 2, recv: 1, wave: 2 });
  assert.equal(ended(), 1);
});
