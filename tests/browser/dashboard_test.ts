/**
 * The dashboard in a real browser: headless Chromium (Debian's package)
 * driven by puppeteer-core against the service started as a real process
 * (`main.ts`, with MongoDB when MONGODB_URI is set) and loopback fixture
 * sites. Run with `deno task test:browser`. Screenshots go to
 * bench/out/screenshots/ (git-ignored); docs/dashboard.png is a copy of job.png.
 */
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { CHROMIUM, hasChromium, launchBrowser, SCREENSHOTS } from "./_browser.ts";
import { HOSTILE_TITLES, startHostileSite } from "./_hostile_site.ts";
import { startFixtureServer } from "../../fixtures/server.ts";
import { ndjson, type ServiceProcess, startServiceProcess } from "../e2e/_service.ts";
import { freshDbName, mongoTestConfig } from "../_mongo.ts";
import { MongoClient } from "mongodb";

const TOKEN = "browser-test-token";
const chromium = await hasChromium();
/** Set by `deno task test:browser`; `deno task test` lists these tests as ignored. */
const wanted = Deno.env.get("SKEIN_BROWSER_TESTS") === "1";
const mongo = mongoTestConfig();

/**
 * A browser test: ignored unless asked for (SKEIN_BROWSER_TESTS=1), and then
 * failing, not skipped, when Chromium is missing.
 */
function browserTest(name: string, fn: () => Promise<void>, needsMongo = false) {
  const why = !wanted
    ? "run with deno task test:browser"
    : needsMongo && mongo.ignore
    ? mongo.reason
    : null;
  Deno.test({
    name: `dashboard: ${name}${why ? ` (ignored: ${why})` : ""}`,
    ignore: why !== null,
    // Chromium's DevTools socket and child process are closed by the test; puppeteer keeps
    // internal timers that outlive browser.close() by a tick.
    sanitizeOps: false,
    async fn() {
      if (!chromium) throw new Error(`${CHROMIUM} is missing (apt-get install chromium)`);
      await fn();
    },
  });
}

interface Env {
  svc: ServiceProcess;
  db: string | null;
}

/** The service with a token, on MongoDB when there is one (a fresh database, dropped after). */
async function withService(
  fn: (env: Env) => Promise<void>,
  extraEnv: Record<string, string> = {},
): Promise<void> {
  const db = mongo.uri ? freshDbName("skein_browser") : null;
  const env: Record<string, string> = {
    CRAWLER_ALLOW_NETS: "127.0.0.0/8",
    CRAWLER_TOKEN: TOKEN,
    JOB_POLL_MS: "100",
    ...(mongo.uri && db ? { MONGODB_URI: mongo.uri, MONGODB_DB: db } : {}),
    ...extraEnv,
  };
  const svc = await startServiceProcess(env);
  try {
    await fn({ svc, db });
  } finally {
    await svc.kill();
    if (mongo.uri && db) await dropDb(mongo.uri, db);
  }
}

async function dropDb(uri: string, db: string) {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
  try {
    await client.db(db).dropDatabase();
  } finally {
    await client.close();
  }
}

/** Waits for `fn` to be true in the page, failing with `what` after `ms`. */
async function until(page: Page, what: string, fn: string, ms = 30_000): Promise<void> {
  try {
    await page.waitForFunction(fn, { timeout: ms, polling: 50 });
  } catch (e) {
    // What the page showed then, for a failure that does not happen again on a rerun.
    const state = await page.evaluate(`JSON.stringify({
      status: document.querySelector("[data-testid=job-status]")?.textContent ?? null,
      filter: document.querySelector("[data-testid=filter]")?.value ?? null,
      rows: [...document.querySelectorAll(".vt-row")].map((r) => r.getAttribute("data-url")),
    })`).catch((err) => `(page state unavailable: ${err})`);
    throw new Error(`waited ${ms} ms for ${what}: ${(e as Error).message}; page: ${state}`);
  }
}

function text(page: Page, testid: string): Promise<string> {
  return page.$eval(`[data-testid=${testid}]`, (el) => el.textContent ?? "");
}

/** Opens the dashboard and gives it the token when it asks. */
async function open(page: Page, origin: string, hash = ""): Promise<void> {
  await page.setViewport({ width: 1280, height: 900 });
  await page.goto(`${origin}/${hash}`);
  await until(page, "the token prompt", `!!document.querySelector("[data-testid=token]")`);
  await page.type("[data-testid=token]", TOKEN);
  await Promise.all([
    page.keyboard.press("Enter"),
    until(
      page,
      "the dashboard behind the prompt",
      `!document.querySelector("[data-testid=token]")`,
    ),
  ]);
}

async function api(origin: string, path: string, init: RequestInit = {}): Promise<Response> {
  return await fetch(`${origin}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${TOKEN}`, ...init.headers },
  });
}

async function startFromForm(
  page: Page,
  urls: string[],
  options: Record<string, string>,
): Promise<string> {
  await until(page, "the form", `!!document.querySelector("input[name=maxPages]")`);
  await page.type("[data-testid=urls]", urls.join("\n"));
  for (const [k, v] of Object.entries(options)) {
    if (v === "on") await page.click(`input[name=${k}]`);
    else if (k === "scope") await page.select(`select[name=${k}]`, v);
    else await page.type(`input[name=${k}]`, v);
  }
  await page.click("[data-testid=start]");
  await until(page, "the job page", `location.hash.startsWith("#/jobs/")`);
  return decodeURIComponent(await page.evaluate(() => location.hash.slice("#/jobs/".length)));
}

interface Row {
  type: string;
  url: string;
  status?: number;
  title?: string | null;
}

function tableRows(page: Page): Promise<Row[]> {
  return page.evaluate(() =>
    (globalThis as unknown as { __skeinJob: { table: { rows: Row[] } } }).__skeinJob.table.rows
  );
}

async function screenshot(page: Page, name: string): Promise<void> {
  await Deno.mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: new URL(name, SCREENSHOTS).pathname as `${string}.png` });
}

const PAYLOAD_SIGNS = () =>
  `window.__pwned === undefined && document.querySelectorAll("img, svg, iframe, object, embed").length === 0`;

browserTest(
  "asks for the token, keeps it for the tab, starts a job through the form, counters reach done, the table matches the stored pages",
  async () => {
    await using site = startFixtureServer();
    await using b = await launchBrowser();
    await withService(async ({ svc }) => {
      const page = await b.newPage();
      await open(page, svc.origin);
      assert.equal(await page.evaluate(() => sessionStorage.getItem("skein.token")), TOKEN);
      assert.equal(
        await page.evaluate(() => localStorage.length),
        0,
        "nothing kept beyond the tab",
      );
      const id = await startFromForm(page, [`${site.origin}/index.html`], { maxDepth: "10" });
      await until(
        page,
        "status completed",
        `document.querySelector("[data-testid=job-status]").textContent === "completed"`,
      );
      const job = await (await api(svc.origin, `/jobs/${id}`)).json();
      assert.equal(job.options.maxDepth, 10, "the form's option reached the API");
      assert.equal(await text(page, "count-pages"), String(job.counters.pages));
      assert.equal(await text(page, "count-skipped"), String(job.counters.skipped));
      assert.equal(job.counters.pages, 16);
      const stored = await ndjson<{ url: string; status: number; title: string | null }>(
        await api(svc.origin, `/jobs/${id}/pages`),
      );
      const rows = (await tableRows(page)).filter((r) => r.type === "page");
      const key = (r: { url: string; status?: number; title?: string | null }) =>
        `${r.url} ${r.status} ${r.title ?? ""}`;
      assert.deepEqual(rows.map(key).sort(), stored.map(key).sort());
      // What is on screen: rendered rows carry the stored URLs.
      const shown = await page.$$eval(
        ".vt-row",
        (els) => els.map((e) => e.getAttribute("data-url")),
      );
      assert.ok(shown.length >= 10, `rows on screen: ${shown.length}`);
      for (const u of shown) assert.ok(stored.some((p) => p.url === u), `${u} is stored`);
      // The filter narrows the rows on screen.
      await page.type("[data-testid=filter]", "404");
      await until(page, "the filter", `document.querySelectorAll(".vt-row").length === 1`);
      assert.deepEqual(
        await page.$$eval(".vt-row", (els) => els.map((e) => e.getAttribute("data-url"))),
        stored.filter((p) => p.status === 404).map((p) => p.url),
      );
      // A page's stored record, fetched with the token.
      await page.click(".vt-row a[href*='/pages?url=']");
      await until(
        page,
        "the record",
        `document.querySelector("[data-testid=record]").textContent.includes('"status": 404')`,
      );
      await page.click("[data-testid=filter]", { count: 3 });
      await page.keyboard.press("Backspace");
      await until(page, "all rows back", `document.querySelectorAll(".vt-row").length >= 10`);
      await screenshot(page, "job.png");
      await page.goto(`${svc.origin}/#/`);
      await until(page, "the jobs list", `!!document.querySelector("[data-job='${id}']")`);
      assert.match(
        await page.$eval(`[data-job='${id}']`, (e) => e.textContent ?? ""),
        /completed16/,
      );
      await screenshot(page, "jobs.png");
      // The 401s before the token was given are expected (a later one would have shown the
      // prompt again and stopped the flow above); anything else is not.
      assert.deepEqual(b.log.filter((l) => !l.includes("401")), []);
    });
  },
);

browserTest("shows the API's validation errors beside the field", async () => {
  await using b = await launchBrowser();
  await withService(async ({ svc }) => {
    const page = await b.newPage();
    await open(page, svc.origin);
    await until(page, "the form", `!!document.querySelector("input[name=concurrency]")`);
    assert.equal(
      await page.$eval("input[name=maxPages]", (e) => e.getAttribute("placeholder")),
      "1000",
      "the default is shown",
    );
    await page.type("[data-testid=urls]", "http://127.0.0.1:9/");
    await page.type("input[name=concurrency]", "0");
    await page.click("[data-testid=start]");
    await until(
      page,
      "the concurrency error",
      `document.querySelector("[data-field='options.concurrency']").textContent !== ""`,
    );
    assert.match(
      await page.$eval("[data-field='options.concurrency']", (e) => e.textContent ?? ""),
      /options\.concurrency/,
    );
    await page.$eval(
      "input[name=concurrency]",
      (e) => ((e as unknown as { value: string }).value = ""),
    );
    await page.$eval(
      "[data-testid=urls]",
      (e) => ((e as unknown as { value: string }).value = "ftp://x.test/"),
    );
    await page.click("[data-testid=start]");
    await until(
      page,
      "the urls error",
      `document.querySelector("[data-field=urls]").textContent !== ""`,
    );
    assert.match(await page.$eval("[data-field=urls]", (e) => e.textContent ?? ""), /urls\[0\]/);
    assert.equal(await page.$eval("[data-field='options.concurrency']", (e) => e.textContent), "");
    assert.equal(await page.evaluate(() => location.hash), "", "no job was started");
  });
});

browserTest("the cancel button cancels a running job", async () => {
  await using site = startFixtureServer();
  await using b = await launchBrowser();
  await withService(async ({ svc }) => {
    const page = await b.newPage();
    await open(page, svc.origin);
    const id = await startFromForm(page, [`${site.origin}/h/fanout?n=40&ms=20000`], {
      ignoreRobots: "on",
      concurrency: "4",
    });
    await until(
      page,
      "a fetch in flight",
      `document.querySelector("[data-testid=count-pages]").textContent === "1"`,
    );
    await page.click("[data-testid=cancel]");
    await until(
      page,
      "status cancelled",
      `document.querySelector("[data-testid=job-status]").textContent === "cancelled"`,
    );
    const job = await (await api(svc.origin, `/jobs/${id}`)).json();
    assert.equal(job.status, "cancelled");
    assert.equal(
      await page.$eval("[data-testid=cancel]", (e) => e.hasAttribute("disabled")),
      true,
    );
  });
});

browserTest("a reload mid-job replays the events and follows the rest to done", async () => {
  await using site = startFixtureServer();
  await using b = await launchBrowser();
  await withService(async ({ svc }) => {
    const page = await b.newPage();
    await open(page, svc.origin);
    const id = await startFromForm(page, [`${site.origin}/h/fanout?n=24&ms=400`], {
      ignoreRobots: "on",
      perHost: "2",
      concurrency: "2",
    });
    await until(
      page,
      "some pages",
      `Number(document.querySelector("[data-testid=count-pages]").textContent) >= 3`,
    );
    await page.reload();
    await until(
      page,
      "status completed after reload",
      `document.querySelector("[data-testid=job-status]").textContent === "completed"`,
      60_000,
    );
    const rows = await tableRows(page);
    const urls = rows.map((r) => r.url);
    assert.equal(new Set(urls).size, urls.length, "no row twice");
    const stored = await ndjson<{ url: string }>(await api(svc.origin, `/jobs/${id}/pages`));
    assert.deepEqual(urls.sort(), stored.map((p) => p.url).sort());
    assert.equal(stored.length, 25);
  });
});

browserTest("a dropped connection resumes with ?since= (service restarted mid-job)", async () => {
  await using site = startFixtureServer();
  await using b = await launchBrowser();
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  await withService(async ({ svc, db }) => {
    const page = await b.newPage();
    await open(page, svc.origin);
    const id = await startFromForm(page, [`${site.origin}/h/fanout?n=30&ms=300`], {
      ignoreRobots: "on",
      perHost: "2",
      concurrency: "2",
    });
    await until(
      page,
      "some pages",
      `Number(document.querySelector("[data-testid=count-pages]").textContent) >= 4`,
    );
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    assert.equal(await svc.stop(), 0, "SIGTERM checkpoints and exits 0");
    await until(
      page,
      "the reconnecting state",
      `document.querySelector("[data-testid=stream-state]").textContent.includes("resuming")`,
    );
    await using again = await startServiceProcess({
      CRAWLER_ALLOW_NETS: "127.0.0.0/8",
      CRAWLER_TOKEN: TOKEN,
      JOB_POLL_MS: "100",
      MONGODB_URI: mongo.uri!,
      MONGODB_DB: db!,
      PORT: String(port),
    });
    await until(
      page,
      "status completed after the restart",
      `document.querySelector("[data-testid=job-status]").textContent === "completed"`,
      60_000,
    );
    const resumed = requests.filter((u) => /\/events\?since=[1-9]/.test(u));
    assert.ok(resumed.length >= 1, `a request resumed with since > 0: ${requests.join(" ")}`);
    const rows = await tableRows(page);
    const urls = rows.map((r) => r.url);
    assert.equal(new Set(urls).size, urls.length, "no row twice");
    const stored = await ndjson<{ url: string }>(await api(again.origin, `/jobs/${id}/pages`));
    assert.deepEqual(urls.sort(), stored.map((p) => p.url).sort());
    assert.equal(stored.length, 31);
  }, { PORT: String(port) });
}, true);

browserTest("hostile titles and URLs are shown as text and nothing from them runs", async () => {
  await using hostile = startHostileSite();
  await using b = await launchBrowser();
  await withService(async ({ svc }) => {
    const page = await b.newPage();
    await open(page, svc.origin);
    const id = await startFromForm(page, [`${hostile.origin}/`], {
      scope: "all",
      maxDepth: "2",
      ignoreRobots: "on",
      retries: "0",
    });
    await until(
      page,
      "status completed",
      `document.querySelector("[data-testid=job-status]").textContent === "completed"`,
      60_000,
    );
    const rows = await tableRows(page);
    const titles = rows.map((r) => r.title);
    for (const t of HOSTILE_TITLES) assert.ok(titles.includes(t), `crawled title ${t}`);
    assert.ok(
      rows.some((r) => r.type === "error" && r.url.includes("%3Cscript%3E")),
      "an error row with a script URL",
    );
    // What the browser shows is the payload as text.
    const shownTitles = await page.$$eval(
      ".vt-row span:nth-child(3)",
      (els) => els.map((e) => e.textContent),
    );
    for (const t of HOSTILE_TITLES) assert.ok(shownTitles.includes(t), `shown as text: ${t}`);
    assert.equal(await page.evaluate(PAYLOAD_SIGNS()), true, "no payload ran or made an element");
    const hrefs = await page.$$eval("a[href]", (as) => as.map((a) => a.getAttribute("href") ?? ""));
    for (const h of hrefs) assert.match(h, /^(https?:\/\/|\/|#)/, `href ${h}`);
    assert.equal(
      await page.$$eval("script", (s) => s.length),
      1,
      "only the dashboard's own script",
    );
    // The jobs list and a page record show the same data; still nothing runs.
    await page.click(".vt-row a[href*='/pages?url=']");
    await until(
      page,
      "a record",
      `document.querySelector("[data-testid=record]").textContent.includes("url")`,
    );
    await page.goto(`${svc.origin}/#/`);
    await until(page, "the jobs list", `!!document.querySelector("[data-job='${id}']")`);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await page.evaluate(PAYLOAD_SIGNS()), true);
    const signs = b.log.filter((l) =>
      /dialog|pageerror|Content Security Policy|Refused to/.test(l)
    );
    assert.deepEqual(signs, [], "no dialog, no page error, no blocked script");
    await page.goto(`${svc.origin}/#/jobs/${encodeURIComponent(id)}`);
    await until(
      page,
      "the job page",
      `document.querySelector("[data-testid=job-status]").textContent === "completed"`,
    );
    await screenshot(page, "hostile.png");
  });
});

browserTest("the page table renders only what is visible with 100,000 rows", async () => {
  await using site = startFixtureServer();
  await using b = await launchBrowser();
  await withService(async ({ svc }) => {
    const page = await b.newPage();
    await open(page, svc.origin);
    await startFromForm(page, [`${site.origin}/a.html`], { maxDepth: "0" });
    await until(
      page,
      "status completed",
      `document.querySelector("[data-testid=job-status]").textContent === "completed"`,
    );
    await page.evaluate(() => {
      const { table } = (globalThis as unknown as {
        __skeinJob: { table: { add(rows: unknown[]): void } };
      }).__skeinJob;
      const rows = [];
      for (let i = 0; i < 100_000; i++) {
        rows.push({
          type: "page",
          url: `http://x.test/${i}`,
          status: 200,
          title: `T${i}`,
          depth: 1,
          ms: 1,
          links: 0,
        });
      }
      table.add(rows);
    });
    await until(
      page,
      "100,001 rows in the spacer",
      `document.querySelector("[data-testid=page-table]").dataset.rows === "100001"`,
    );
    const onScreen = await page.$$eval(".vt-row", (e) => e.length);
    assert.ok(onScreen > 0 && onScreen < 100, `rows in the DOM: ${onScreen}`);
    await page.$eval("[data-testid=page-table]", (e) => (e.scrollTop = e.scrollHeight));
    await until(
      page,
      "the last row",
      `!!document.querySelector(".vt-row[data-url='http://x.test/99999']")`,
    );
    assert.ok((await page.$$eval(".vt-row", (e) => e.length)) < 100);
    await page.type("[data-testid=filter]", "x.test/9999");
    await until(page, "the filtered rows", `document.querySelectorAll(".vt-row").length === 11`);
  });
});
