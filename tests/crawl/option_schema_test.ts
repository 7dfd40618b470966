import assert from "node:assert/strict";
import fc from "fast-check";
import { OPTIONS_SCHEMA } from "../../src/crawl/option_schema.ts";
import {
  type CrawlOptions,
  MAX_PATTERN_LENGTH,
  MAX_PATTERNS,
  OPTION_SPECS,
  OptionError,
  type OptionSpec,
  resolveOptions,
} from "../../src/crawl/options.ts";

/** Whether the engine takes `value` for the option (with ignoreRobots, so no agent is derived). */
function engineTakes(key: string, value: unknown): boolean {
  try {
    resolveOptions({ ignoreRobots: true, [key]: value } as Partial<CrawlOptions>);
    return true;
  } catch (e) {
    if (e instanceof OptionError) return false;
    throw e;
  }
}

function schemaTakes(key: string, value: unknown): boolean {
  return OPTIONS_SCHEMA.safeParse({ ignoreRobots: true, [key]: value }).success;
}

/** Values near each option's rules, and some far from them. */
function candidates(spec: OptionSpec): fc.Arbitrary<unknown> {
  const anything = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.string({ maxLength: 8 }),
    fc.double(),
    fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }),
  );
  switch (spec.type) {
    case "int":
      return fc.oneof(
        fc.integer({ min: spec.min! - 3, max: spec.min! + 3 }),
        fc.integer({ min: spec.max! - 3, max: spec.max! + 3 }),
        fc.double({ min: spec.min! - 1, max: spec.max! + 1 }),
        anything,
      );
    case "bool":
      return fc.oneof(fc.boolean(), anything);
    case "string":
      return fc.oneof(
        fc.string({ minLength: 0, maxLength: 12 }),
        fc.stringMatching(/^[A-Za-z][A-Za-z_-]{0,8}$/),
        fc.constantFrom("a\nb", "x".repeat(512), "x".repeat(513), "Mozilla/5.0", "bot 1.0"),
        anything,
      );
    case "strings":
      return fc.oneof(
        fc.array(fc.constantFrom("a", "(", "[", "\\d+", "x".repeat(MAX_PATTERN_LENGTH + 1))),
        fc.constant(Array.from({ length: MAX_PATTERNS + 1 }, () => "a")),
        fc.constant(Array.from({ length: MAX_PATTERNS }, () => "a")),
        anything,
      );
    case "enum":
      return fc.oneof(fc.constantFrom(...spec.values!), fc.string({ maxLength: 8 }), anything);
  }
}

for (const spec of OPTION_SPECS) {
  Deno.test(`OPTIONS_SCHEMA and resolveOptions() take the same values of ${spec.key}`, () => {
    fc.assert(
      fc.property(candidates(spec), (v) => {
        assert.equal(
          schemaTakes(spec.key, v),
          engineTakes(spec.key, v),
          `${spec.key} = ${JSON.stringify(v)?.slice(0, 80)}`,
        );
      }),
      { numRuns: 300 },
    );
  });
}

Deno.test("OPTIONS_SCHEMA refuses unknown options and documents each one's default", () => {
  assert.equal(OPTIONS_SCHEMA.safeParse({ planet: 1 }).success, false);
  const shape = OPTIONS_SCHEMA.shape as Record<string, unknown>;
  assert.deepEqual(Object.keys(shape).sort(), OPTION_SPECS.map((s) => s.key).sort());
});
