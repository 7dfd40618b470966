/**
 * The README's flag table is the user's map of the options: it must name
 * every engine option with its real default, and every flag `--help` lists.
 */
import assert from "node:assert/strict";
import { DEFAULT_OPTIONS, OPTION_SPECS } from "../src/crawl/options.ts";
import { kebab, usage } from "../src/cli/parse_cli_args.ts";

const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));

/** Rows of the README's flag table: flag name to its default column. */
function flagRows(text: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = line.match(/^\|\s*`--([a-z0-9-]+)[^`]*`\s*\|\s*([^|]*?)\s*\|/);
    if (m) rows.set(m[1], m[2]);
  }
  return rows;
}

/** How the README writes a default value. */
function shown(v: unknown): string {
  if (typeof v === "boolean") return v ? "on" : "off";
  if (Array.isArray(v)) return v.length === 0 ? "none" : v.join(", ");
  if (typeof v === "string") return "`" + v + "`";
  return String(v);
}

Deno.test("README flag table lists every engine option with its default", () => {
  const rows = flagRows(readme);
  assert.ok(rows.size >= OPTION_SPECS.length, `only ${rows.size} flag rows found in README`);
  for (const spec of OPTION_SPECS) {
    const flag = kebab(spec.key);
    assert.ok(rows.has(flag), `README has no row for --${flag}`);
    const def = (DEFAULT_OPTIONS as unknown as Record<string, unknown>)[spec.key];
    const cell = rows.get(flag)!;
    // A default derived from another option is described, with its value in it.
    if (typeof def === "string" && cell !== shown(def)) {
      assert.ok(cell.includes(shown(def)), `README default of --${flag}: ${cell}`);
    } else assert.equal(cell, shown(def), `README default of --${flag}`);
  }
});

Deno.test("README flag table and --help name the same flags", () => {
  const rows = flagRows(readme);
  const help = new Set([...usage().matchAll(/^\s+(?:-h, )?--([a-z0-9-]+)/gm)].map((m) => m[1]));
  help.delete("help");
  for (const flag of help) assert.ok(rows.has(flag), `--${flag} is in --help but not in README`);
  for (const flag of rows.keys()) {
    assert.ok(help.has(flag), `--${flag} is in README but not in --help`);
  }
});
