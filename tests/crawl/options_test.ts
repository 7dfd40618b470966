import assert from "node:assert/strict";
import {
  DEFAULT_OPTIONS,
  OPTION_SPECS,
  OptionError,
  resolveOptions,
} from "../../src/crawl/options.ts";
import type { CrawlOptions } from "../../src/crawl/options.ts";

function rejects(partial: Record<string, unknown>, field: string, message: RegExp): void {
  assert.throws(
    () => resolveOptions(partial as Partial<CrawlOptions>),
    (e) => e instanceof OptionError && e.field === field && message.test(e.message),
    JSON.stringify(partial),
  );
}

Deno.test("resolveOptions() fills every default", () => {
  assert.deepEqual(resolveOptions(), { ...DEFAULT_OPTIONS });
  assert.deepEqual(resolveOptions({}), { ...DEFAULT_OPTIONS });
});

Deno.test("resolveOptions() keeps given values and defaults the rest", () => {
  const o = resolveOptions({ concurrency: 8, scope: "domain", include: ["/a"] });
  assert.equal(o.concurrency, 8);
  assert.equal(o.scope, "domain");
  assert.deepEqual(o.include, ["/a"]);
  assert.equal(o.perHost, DEFAULT_OPTIONS.perHost);
});

Deno.test("resolveOptions() returns a new object and leaves the defaults alone", () => {
  const o = resolveOptions({ maxPages: 5 });
  assert.notEqual(o, DEFAULT_OPTIONS);
  assert.equal(DEFAULT_OPTIONS.maxPages, 1000);
  assert.ok(Object.isFrozen(DEFAULT_OPTIONS));
});

Deno.test("every option has a spec and a default, and every default passes its spec", () => {
  const specKeys = OPTION_SPECS.map((s) => s.key).sort();
  assert.deepEqual(specKeys, Object.keys(DEFAULT_OPTIONS).sort());
  assert.equal(new Set(specKeys).size, specKeys.length, "no option is specified twice");
  for (const spec of OPTION_SPECS) {
    assert.ok(spec.help.length > 0, `${spec.key} has help`);
    if (spec.type !== "int") continue;
    const v = DEFAULT_OPTIONS[spec.key] as number;
    assert.ok(spec.min !== undefined && spec.max !== undefined, `${spec.key} has bounds`);
    assert.ok(v >= spec.min! && v <= spec.max!, `default ${spec.key} ${v} within its bounds`);
  }
});

Deno.test("resolveOptions() checks each whole-number option against its bounds", () => {
  for (const spec of OPTION_SPECS) {
    if (spec.type !== "int") continue;
    const k = spec.key;
    assert.equal(resolveOptions({ [k]: spec.min })[k], spec.min, `${k} at its minimum`);
    assert.equal(resolveOptions({ [k]: spec.max })[k], spec.max, `${k} at its maximum`);
    rejects({ [k]: spec.min! - 1 }, k, new RegExp(`${k} must be between ${spec.min} and`));
    rejects({ [k]: spec.max! + 1 }, k, new RegExp(`${k} must be between`));
    for (const bad of [1.5, "3", null, Number.NaN, Infinity]) {
      rejects({ [k]: bad }, k, new RegExp(`${k} must be an integer`));
    }
  }
});

Deno.test("resolveOptions() checks booleans, strings, scope and patterns", () => {
  rejects({ ignoreRobots: "yes" }, "ignoreRobots", /must be a boolean/);
  rejects({ userAgent: "" }, "userAgent", /one-line string/);
  rejects({ userAgent: "a\r\nX-Injected: 1" }, "userAgent", /one-line string/);
  rejects({ userAgent: "x".repeat(513) }, "userAgent", /one-line string/);
  assert.equal(resolveOptions({ userAgent: "x".repeat(512) }).userAgent.length, 512);
  rejects({ scope: "planet" }, "scope", /must be one of origin, host, domain, all, got planet/);
  for (const scope of ["origin", "host", "domain", "all"] as const) {
    assert.equal(resolveOptions({ scope }).scope, scope);
  }
  rejects({ include: "/a" }, "include", /list of strings/);
  rejects({ exclude: [1] }, "exclude", /list of strings/);
  rejects({ exclude: ["ok", "("] }, "exclude", /invalid regular expression "\("/);
  rejects({ include: Array(51).fill("a") }, "include", /51 patterns, more than 50/);
  rejects({ exclude: ["x".repeat(1001)] }, "exclude", /1001 characters, more than 1000/);
});

Deno.test("OptionError is a RangeError with a stable code and the field", () => {
  try {
    resolveOptions({ concurrency: 0 });
    assert.fail("no error");
  } catch (e) {
    assert.ok(e instanceof RangeError);
    assert.ok(e instanceof OptionError);
    assert.equal(e.code, "invalid_option");
    assert.equal(e.field, "concurrency");
    assert.equal(e.name, "OptionError");
  }
});
