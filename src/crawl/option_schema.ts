/**
 * The zod schema of the crawl options, built from {@linkcode OPTION_SPECS}
 * with the same rules as `resolveOptions()` (bounds, one-line strings,
 * pattern caps, enum values): the service validates job options with it and
 * publishes it in its OpenAPI document; it adds only its own ceilings.
 * `tests/crawl/option_schema_test.ts` checks that the schema and
 * `resolveOptions()` accept and refuse the same values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OPTIONS_SCHEMA } from "./option_schema.ts";
 * assert.equal(OPTIONS_SCHEMA.safeParse({ maxPages: 10 }).success, true);
 * assert.equal(OPTIONS_SCHEMA.safeParse({ maxPages: 0 }).success, false);
 * assert.equal(OPTIONS_SCHEMA.safeParse({ planet: 1 }).success, false);
 * ```
 * @module
 */
import { z } from "zod";
import {
  DEFAULT_OPTIONS,
  MAX_PATTERN_LENGTH,
  MAX_PATTERNS,
  MAX_STRING_LENGTH,
  OPTION_SPECS,
  type OptionSpec,
} from "./options.ts";

function isRegExp(p: string): boolean {
  try {
    new RegExp(p);
    return true;
  } catch {
    return false;
  }
}

/** The schema of one option's value (not optional), by its spec. */
export function optionValueSchema(spec: OptionSpec): z.ZodType {
  switch (spec.type) {
    case "int":
      return z.int().min(spec.min ?? 0).max(spec.max ?? Number.MAX_SAFE_INTEGER);
    case "bool":
      return z.boolean();
    case "string":
      return z.string().min(1).max(MAX_STRING_LENGTH).regex(/^[^\r\n]*$/, "one line")
        .regex(spec.pattern ?? /(?:)/);
    case "strings":
      return z.array(
        z.string().max(MAX_PATTERN_LENGTH).refine(isRegExp, "invalid regular expression"),
      ).max(MAX_PATTERNS);
    case "enum":
      return z.enum(spec.values as [string, ...string[]]);
  }
}

function optionsSchema(): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const spec of OPTION_SPECS) {
    shape[spec.key] = optionValueSchema(spec).optional().meta({
      description: spec.help,
      default: DEFAULT_OPTIONS[spec.key],
    });
  }
  return z.object(shape).strict();
}

/** Every crawl option, each optional (the defaults apply), unknown ones refused. */
export const OPTIONS_SCHEMA: z.ZodObject = optionsSchema();
