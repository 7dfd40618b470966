import assert from "node:assert/strict";
import { finishStep } from "../../src/service/finish_check.ts";
import type { MemberState } from "../../src/store/store.ts";

function member(owner: string, work: number, leaseAt: number): MemberState {
  return {
    owner,
    leaseUntil: new Date(leaseAt),
    idle: true,
    work,
    counters: { pages: 0, errors: 0, skipped: 0, bytes: 0 },
  };
}

Deno.test("finishStep() confirms at the first look when no other member holds a lease", () => {
  assert.deepEqual(finishStep(null, 5, []), { confirmed: true, look: null });
});

Deno.test("finishStep() with another member confirms the look before: renewed, nothing done", () => {
  const first = finishStep(null, 5, [member("b", 3, 1000)]);
  assert.equal(first.confirmed, false);
  assert.ok(first.look !== null);
  const second = finishStep(first.look, 5, [member("b", 3, 2000)]);
  assert.deepEqual(second, { confirmed: true, look: null });
});

Deno.test("finishStep() starts over when this process, or another member, did something", () => {
  const first = finishStep(null, 5, [member("b", 3, 1000)]).look;
  const mine = finishStep(first, 6, [member("b", 3, 2000)]);
  assert.equal(mine.confirmed, false);
  assert.equal(mine.look?.work, 6, "the look kept is the new one");
  const theirs = finishStep(first, 5, [member("b", 4, 2000)]);
  assert.equal(theirs.confirmed, false);
  assert.equal(theirs.look?.members.get("b")?.work, 4);
  const joined = finishStep(first, 5, [member("b", 3, 2000), member("c", 0, 2000)]);
  assert.equal(joined.confirmed, false);
  assert.ok(joined.look?.members.has("c"));
});

Deno.test("finishStep() waits, keeping its look, for a member that has not renewed since", () => {
  const first = finishStep(null, 5, [member("b", 3, 1000)]).look;
  const stale = finishStep(first, 5, [member("b", 3, 1000)]);
  assert.equal(stale.confirmed, false);
  assert.equal(stale.look, first);
});
