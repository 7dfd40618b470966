import { equal } from "node:assert/strict";
import { runShares } from "../../bench/service.ts";

Deno.test("runShares() pairs each run with the CLI run before it: median and range", () => {
  // A slow minute (the second pair) slows both runs of the pair alike.
  equal(runShares([5000, 2500, 4000], [2400, 1300, 2000]), "50 % (48-52)");
  equal(runShares([4000, 4000], [2000, 3000, 1000]), "63 % (50-75)"); // a run without its CLI run is left out
  equal(runShares([], [2000]), "");
});
