import assert from "node:assert/strict";
import { OptionError, resolveOptions } from "../../src/crawl/options.ts";
import { parseCliArgs, usage, UsageError } from "../../src/cli/parse_cli_args.ts";

Deno.test("resolveOptions() defaults content to none and sitemaps to false, and checks content", () => {
  const o = resolveOptions();
  assert.equal(o.content, "none");
  assert.equal(o.sitemaps, false);
  for (const content of ["text", "markdown", "html"] as const) {
    assert.equal(resolveOptions({ content }).content, content);
  }
  assert.throws(
    () => resolveOptions({ content: "pdf" as "text" }),
    (e) =>
      e instanceof OptionError && e.field === "content" &&
      /none, text, markdown, html/.test(e.message),
  );
  assert.throws(
    () => resolveOptions({ sitemaps: "yes" as unknown as boolean }),
    (e) => e instanceof OptionError && e.field === "sitemaps",
  );
});

Deno.test("parseCliArgs() takes --content and --sitemaps; usage lists them", () => {
  const a = parseCliArgs(["--content", "markdown", "--sitemaps", "http://a.test/"]);
  assert.equal(a.options.content, "markdown");
  assert.equal(a.options.sitemaps, true);
  assert.throws(
    () => parseCliArgs(["--content", "pdf", "http://a.test/"]),
    (e) => e instanceof UsageError && /--content/.test(e.message),
  );
  assert.match(usage(), /--content <mode>/);
  assert.match(usage(), /--sitemaps/);
});
