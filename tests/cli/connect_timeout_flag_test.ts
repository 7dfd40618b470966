import assert from "node:assert/strict";
import { parseCliArgs, UsageError } from "../../src/cli/parse_cli_args.ts";
import { resolveOptions } from "../../src/crawl/options.ts";

Deno.test("parseCliArgs() takes --connect-timeout-ms, default 10000", () => {
  assert.equal(resolveOptions().connectTimeoutMs, 10000);
  assert.equal(parseCliArgs(["http://a.test/"]).options.connectTimeoutMs, 10000);
  const args = parseCliArgs(["--connect-timeout-ms", "2500", "http://a.test/"]);
  assert.equal(args.options.connectTimeoutMs, 2500);
  assert.throws(
    () => parseCliArgs(["--connect-timeout-ms", "0", "http://a.test/"]),
    (e) => e instanceof UsageError && /--connect-timeout-ms/.test(e.message),
  );
});
