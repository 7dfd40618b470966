import assert from "node:assert/strict";
import { productToken } from "../../src/robots/robots_agent.ts";
import { OptionError, resolveOptions } from "../../src/crawl/options.ts";
import { parseCliArgs } from "../../src/cli/parse_cli_args.ts";
import { parseJobRequest } from "../../src/service/job_request.ts";
import { loadConfig } from "../../src/service/config.ts";
import { HttpError } from "../../src/service/http_error.ts";
import { crawl } from "../../src/crawl/crawl.ts";
import type { Fetcher } from "../../src/net/fetcher.ts";

Deno.test("productToken() takes the bot's name from the User-Agent shapes in use", () => {
  assert.equal(productToken("skein/0.1 (+https://github.com/skein-crawler/skein)"), "skein");
  assert.equal(productToken("Mozilla/5.0 (compatible; MyBot/1.0; +https://my.bot/)"), "MyBot");
  assert.equal(
    productToken("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),
    "Googlebot",
  );
  assert.equal(productToken("MyBot 1.0"), "MyBot");
  assert.equal(productToken("my_bot-x"), "my_bot-x");
  assert.equal(productToken("1.0"), null);
});

Deno.test("resolveOptions() derives robotsAgent from userAgent unless it is given", () => {
  assert.equal(resolveOptions({}).robotsAgent, "skein");
  assert.equal(
    resolveOptions({ userAgent: "Mozilla/5.0 (compatible; MyBot/1.0; +https://my.bot/)" })
      .robotsAgent,
    "MyBot",
  );
  assert.equal(resolveOptions({ userAgent: "MyBot 1.0" }).robotsAgent, "MyBot");
  assert.equal(resolveOptions({ userAgent: "x/1", robotsAgent: "Other" }).robotsAgent, "Other");
  assert.throws(() => resolveOptions({ robotsAgent: "My Bot" }), OptionError);
  assert.throws(() => resolveOptions({ robotsAgent: "MyBot/1.0" }), OptionError);
  assert.throws(
    () => resolveOptions({ userAgent: "1.0" }),
    (e) => e instanceof OptionError && e.field === "robotsAgent",
  );
  assert.equal(resolveOptions({ userAgent: "1.0", ignoreRobots: true }).ignoreRobots, true);
});

Deno.test("parseCliArgs() takes --robots-agent", () => {
  assert.equal(
    parseCliArgs(["--robots-agent", "MyBot", "http://a.test/"]).options.robotsAgent,
    "MyBot",
  );
  assert.throws(() => parseCliArgs(["--robots-agent", "My Bot", "http://a.test/"]), /robots-agent/);
});

Deno.test("parseJobRequest() takes robotsAgent and refuses one that is not a product token", async () => {
  const limits = loadConfig({}).limits;
  const post = (options: unknown) =>
    new Request("http://localhost/jobs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ urls: ["http://a.test/"], options }),
    });
  const job = await parseJobRequest(post({ robotsAgent: "MyBot" }), limits);
  assert.equal(job.options.robotsAgent, "MyBot");
  await assert.rejects(
    () => parseJobRequest(post({ robotsAgent: "MyBot/1.0" }), limits),
    (e) => e instanceof HttpError && e.status === 400,
  );
});

// RFC 9309 §2.2.1: "Crawlers MUST use case-insensitive matching to find the
// group that matches the product token and then obey the rules of the group."
Deno.test("crawl() obeys the robots.txt group of its product token", async () => {
  const robots = [
    "User-agent: Mozilla",
    "Disallow: /mozilla-only",
    "",
    "User-agent: mybot",
    "Disallow: /mybot-only",
  ].join("\n");
  const fetcher: Fetcher = (url) =>
    Promise.resolve(
      url.endsWith("/robots.txt")
        ? new Response(robots)
        : new Response("<a href=/mozilla-only>m</a><a href=/mybot-only>b</a>", {
          headers: { "content-type": "text/html" },
        }),
    );
  const run = async (options: Record<string, string>) => {
    const skipped: string[] = [];
    const fetched: string[] = [];
    for await (const e of crawl(["http://a.test/"], options, { fetcher })) {
      if (e.type === "skipped") skipped.push(new URL(e.url).pathname);
      if (e.type === "page") fetched.push(new URL(e.url).pathname);
    }
    return { skipped, fetched: fetched.sort() };
  };
  for (const userAgent of ["Mozilla/5.0 (compatible; MyBot/1.0; +https://my.bot/)", "MyBot 1.0"]) {
    const r = await run({ userAgent });
    assert.deepEqual(r.skipped, ["/mybot-only"], userAgent);
    assert.deepEqual(r.fetched, ["/", "/mozilla-only"], userAgent);
  }
  const own = await run({ userAgent: "Mozilla/5.0 (X11)", robotsAgent: "MYBOT" });
  assert.deepEqual(own.skipped, ["/mybot-only"]);
});
