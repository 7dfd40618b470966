import assert from "node:assert/strict";
import { interruptHandler } from "../../src/cli/interrupt_handler.ts";
import { EXIT } from "../../src/cli/run_cli.ts";

function harness(forceAfterMs?: number) {
  let now = 0;
  const exits: number[] = [];
  const ac = new AbortController();
  const onSigint = interruptHandler(ac, {
    forceAfterMs,
    now: () => now,
    exit: (code) => void exits.push(code),
  });
  return {
    ac,
    exits,
    at(ms: number) {
      now = ms;
      onSigint();
    },
  };
}

Deno.test("interruptHandler() aborts with an AbortError on the first interrupt", () => {
  const h = harness();
  assert.equal(h.ac.signal.aborted, false);
  h.at(0);
  assert.equal(h.ac.signal.aborted, true);
  assert.equal((h.ac.signal.reason as DOMException).name, "AbortError");
  assert.deepEqual(h.exits, []);
});

Deno.test("interruptHandler() takes signals within a second of the first as the same Ctrl-C", () => {
  // A terminal's Ctrl-C reaches the crawler twice (the group's signal and the
  // one `deno task` forwards): neither that copy nor an impatient second press
  // within the second may skip the `done` line.
  const h = harness();
  h.at(100);
  h.at(103);
  h.at(600);
  h.at(1099);
  assert.deepEqual(h.exits, []);
});

Deno.test("interruptHandler() forces exit 130 on an interrupt a second or more after the first", () => {
  const h = harness();
  h.at(100);
  h.at(105);
  h.at(1100);
  assert.deepEqual(h.exits, [EXIT.interrupted]);
  assert.equal(EXIT.interrupted, 130);
});

Deno.test("interruptHandler() honours forceAfterMs", () => {
  const h = harness(50);
  h.at(0);
  h.at(49);
  assert.deepEqual(h.exits, []);
  h.at(50);
  assert.deepEqual(h.exits, [130]);
});
