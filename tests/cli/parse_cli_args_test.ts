import assert from "node:assert/strict";
import { parseCliArgs, UsageError } from "../../src/cli/parse_cli_args.ts";

Deno.test("parseCliArgs() maps kebab-case flags to options", () => {
  const a = parseCliArgs([
    "--concurrency=8",
    "--per-host",
    "2",
    "--scope",
    "host",
    "--include",
    "/a",
    "--include",
    "/b",
    "--ignore-robots",
    "http://a.test/",
  ]);
  assert.equal(a.options.concurrency, 8);
  assert.equal(a.options.perHost, 2);
  assert.equal(a.options.scope, "host");
  assert.deepEqual(a.options.include, ["/a", "/b"]);
  assert.equal(a.options.ignoreRobots, true);
  assert.deepEqual(a.urls, ["http://a.test/"]);
});

for (
  const [argv, pattern] of [
    [["--max-pages", "ten", "http://a.test/"], /--max-pages needs a whole number/],
    [["--max-pages", "0", "http://a.test/"], /--max-pages/],
    [["--scope", "planet", "http://a.test/"], /scope/],
    [["--exclude", "(", "http://a.test/"], /exclude/],
    [["--no-such-flag", "http://a.test/"], /no-such-flag/],
    [["--allow-nets", "10.0.0.0/8", "http://a.test/"], /--deny-private/],
  ] as [string[], RegExp][]
) {
  Deno.test(`parseCliArgs() rejects ${argv.slice(0, 2).join(" ")}`, () => {
    assert.throws(
      () => parseCliArgs(argv),
      (e) => e instanceof UsageError && pattern.test(e.message),
    );
  });
}

Deno.test("parseCliArgs() turns pre-connecting off with --no-preconnect (on by default)", () => {
  assert.equal(parseCliArgs(["http://a.test/"]).options.preconnect, true);
  assert.equal(parseCliArgs(["--no-preconnect", "http://a.test/"]).options.preconnect, false);
  assert.equal(parseCliArgs(["--preconnect", "http://a.test/"]).options.preconnect, true);
});
