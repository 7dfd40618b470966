import assert from "node:assert/strict";
import { findCycles, importSpecifiers } from "../../scripts/check_imports.ts";

Deno.test("importSpecifiers() finds static, re-export, side-effect and dynamic relative imports", () => {
  const src = [
    `import { a } from "./a.ts";`,
    `import type { B } from "../b/b.ts";`,
    `export { c } from "./c.ts";`,
    `export * from './d.ts';`,
    `import "./e.ts";`,
    `const f = await import("./f.ts");`,
    `import { g } from "npm:g";`,
    `// import { h } from "./h.ts";`,
    `/* import { i } from "./i.ts"; */`,
    `import {\n  j,\n  k,\n} from "./jk.ts";`,
  ].join("\n");
  assert.deepEqual(importSpecifiers(src), [
    "./a.ts",
    "../b/b.ts",
    "./c.ts",
    "./d.ts",
    "./e.ts",
    "./f.ts",
    "./jk.ts",
  ]);
});

Deno.test("findCycles() reports each strongly connected group once", () => {
  const g = new Map([
    ["a", ["b"]],
    ["b", ["c"]],
    ["c", ["a", "d"]],
    ["d", []],
    ["e", ["e"]],
    ["f", ["d"]],
  ]);
  assert.deepEqual(findCycles(g), [["a", "b", "c"], ["e"]]);
});

Deno.test("findCycles() finds none in a layered graph", () => {
  const g = new Map([
    ["crawl", ["net", "html"]],
    ["html", ["url"]],
    ["net", ["url", "async"]],
    ["url", []],
    ["async", []],
  ]);
  assert.deepEqual(findCycles(g), []);
});
