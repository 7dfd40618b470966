/**
 * `deno task bench`: the engine benchmark. Generates a synthetic site
 * (5,000 pages of about 20 KB with ~50 links each), serves it from a separate
 * process, crawls it in this process with concurrency 64 and prints pages/s,
 * MB/s and peak RSS; then a parse-only figure (MB/s of HTML through link
 * extraction, no network; the median of 7 rounds after one to warm up). Figures go to stdout and `bench/out/bench.json`.
 *
 * Knobs (env): BENCH_PAGES (5000), BENCH_CONCURRENCY (64), BENCH_RUNS (3).
 *
 * `--content` crawls instead in each content mode (`none`, `text`,
 * `markdown`), interleaved run by run so that a busy machine affects them
 * alike, and prints each mode's median pages/s and its share of `none`;
 * `--content=markdown` (or `text`, `html`) compares that one mode with
 * `none`. `--parse-workers=N` sets the crawl's `parseWorkers`. Figures go to
 * `bench/out/bench-content.json`.
 *
 * @module
 */
import { generateSite, pagePath } from "./gen_site.ts";
import { crawl } from "../src/crawl/crawl.ts";
import { extractPage } from "../src/html/extract_page.ts";
import type { ContentMode } from "../src/crawl/options.ts";
import process from "node:process";

const PAGES = Number(Deno.env.get("BENCH_PAGES") ?? 5000);
const CONCURRENCY = Number(Deno.env.get("BENCH_CONCURRENCY") ?? 64);
const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 3);
const OUT = new URL("./out/", import.meta.url).pathname;
const SITE = `${OUT}site-${PAGES}`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function ensureSite(): Promise<void> {
  try {
    await Deno.stat(`${SITE}/index.html`);
  } catch {
    console.error(`generating ${PAGES} pages into ${SITE}`);
    await generateSite(SITE, { pages: PAGES });
  }
}

async function startServer(): Promise<{ origin: string; child: Deno.ChildProcess }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-net",
      new URL("./serve_static.ts", import.meta.url).pathname,
      SITE,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/listening on (\S+)/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error("static server did not start");
    text += value;
  }
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  return { origin: /listening on (\S+)/.exec(text)![1], child };
}

interface CrawlFigures {
  pages: number;
  seconds: number;
  pagesPerSec: number;
  mbPerSec: number;
  peakRssMb: number;
  /** CPU time (user + system) of the crawling process per page, in ms: steadier than pages/s on a busy machine. */
  cpuMsPerPage: number;
}

async function crawlOnce(
  origin: string,
  content: ContentMode = "none",
  parseWorkers = 0,
): Promise<CrawlFigures> {
  let peak = Deno.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, Deno.memoryUsage().rss)), 50);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let pages = 0;
  let bytes = 0;
  for await (
    const e of crawl([`${origin}/index.html`], {
      concurrency: CONCURRENCY,
      perHost: CONCURRENCY,
      ignoreRobots: true,
      maxDepth: 1000,
      maxPages: 10_000_000,
      retries: 0,
      content,
      parseWorkers,
    })
  ) {
    if (e.type === "page" && e.status === 200) {
      pages++;
      bytes += e.bytes;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  peak = Math.max(peak, Deno.memoryUsage().rss);
  return {
    pages,
    seconds,
    pagesPerSec: pages / seconds,
    mbPerSec: bytes / 1e6 / seconds,
    peakRssMb: peak / 1e6,
    cpuMsPerPage: (cpu.user + cpu.system) / 1000 / Math.max(1, pages),
  };
}

async function parseOnly(): Promise<{ mb: number; mbPerSec: number; linksPerSec: number }> {
  const n = Math.min(PAGES, 2000);
  const docs: { url: string; html: string }[] = [];
  for (let i = 0; i < n; i++) {
    const p = pagePath(i);
    docs.push({ url: `http://bench.test${p}`, html: await Deno.readTextFile(SITE + p) });
  }
  const bytes = docs.reduce((s, d) => s + new TextEncoder().encode(d.html).byteLength, 0);
  async function* chunks(html: string) {
    for (let i = 0; i < html.length; i += 16384) yield html.slice(i, i + 16384);
  }
  const rates: number[] = [];
  let links = 0;
  // One round to warm the JIT up, not counted; then the median of 7.
  for (let r = 0; r < 8; r++) {
    links = 0;
    const t0 = performance.now();
    for (const d of docs) links += (await extractPage(chunks(d.html), d.url)).links.length;
    if (r > 0) rates.push(bytes / 1e6 / ((performance.now() - t0) / 1000));
  }
  const mbPerSec = median(rates);
  return { mb: bytes / 1e6, mbPerSec, linksPerSec: links * mbPerSec / (bytes / 1e6) };
}

/** `--content[=mode]`: each content mode against links-only, interleaved. */
async function contentModes(arg: string, parseWorkers: number): Promise<void> {
  const modes: ContentMode[] = arg === "--content"
    ? ["none", "text", "markdown"]
    : ["none", arg.slice("--content=".length) as ContentMode];
  const server = await startServer();
  const byMode = new Map<ContentMode, CrawlFigures[]>(modes.map((m) => [m, []]));
  try {
    for (let i = 0; i < RUNS; i++) {
      for (const mode of modes) {
        const r = await crawlOnce(server.origin, mode, parseWorkers);
        console.log(
          `run ${i + 1} content=${mode}: ${r.pages} pages, ${r.pagesPerSec.toFixed(0)} pages/s, ` +
            `${r.cpuMsPerPage.toFixed(3)} CPU ms/page, peak RSS ${r.peakRssMb.toFixed(0)} MB`,
        );
        byMode.get(mode)!.push(r);
      }
    }
  } finally {
    server.child.kill("SIGTERM");
    await server.child.status;
  }
  const base = median(byMode.get("none")!.map((r) => r.pagesPerSec));
  const baseCpu = median(byMode.get("none")!.map((r) => r.cpuMsPerPage));
  const summary: Record<string, unknown> = {
    date: new Date().toISOString(),
    pages: PAGES,
    concurrency: CONCURRENCY,
    parseWorkers,
    runs: RUNS,
  };
  console.log(`\nmedians of ${RUNS} interleaved runs (parseWorkers ${parseWorkers}):`);
  for (const [mode, runs] of byMode) {
    const pps = median(runs.map((r) => r.pagesPerSec));
    const rss = Math.max(...runs.map((r) => r.peakRssMb));
    const cpu = median(runs.map((r) => r.cpuMsPerPage));
    summary[mode] = {
      pagesPerSec: pps,
      share: pps / base,
      cpuMsPerPage: cpu,
      peakRssMb: rss,
      runs,
    };
    console.log(
      `  content=${mode.padEnd(8)} ${pps.toFixed(0).padStart(6)} pages/s = ${
        (100 * pps / base).toFixed(0)
      } % of links-only; ${cpu.toFixed(3)} CPU ms/page (links-only/this = ${
        (100 * baseCpu / cpu).toFixed(0)
      } %); peak RSS ${rss.toFixed(0)} MB`,
    );
  }
  await Deno.mkdir(OUT, { recursive: true });
  await Deno.writeTextFile(`${OUT}bench-content.json`, JSON.stringify(summary, null, 2) + "\n");
}

const contentArg = Deno.args.find((a) => a === "--content" || a.startsWith("--content="));
const workersArg = Deno.args.find((a) => a.startsWith("--parse-workers="));
const parseWorkersArg = workersArg ? Number(workersArg.split("=")[1]) : 0;

if (import.meta.main && contentArg) {
  await ensureSite();
  await contentModes(contentArg, parseWorkersArg);
} else if (import.meta.main) {
  await ensureSite();
  const server = await startServer();
  const runs: CrawlFigures[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const r = await crawlOnce(server.origin);
      console.log(
        `crawl run ${i + 1}: ${r.pages} pages in ${r.seconds.toFixed(2)} s = ${
          r.pagesPerSec.toFixed(0)
        } pages/s, ${r.mbPerSec.toFixed(1)} MB/s, peak RSS ${r.peakRssMb.toFixed(0)} MB`,
      );
      runs.push(r);
    }
  } finally {
    server.child.kill("SIGTERM");
    await server.child.status;
  }
  const parse = await parseOnly();
  const summary = {
    date: new Date().toISOString(),
    deno: Deno.version.deno,
    pages: PAGES,
    concurrency: CONCURRENCY,
    crawl: {
      pagesPerSec: median(runs.map((r) => r.pagesPerSec)),
      mbPerSec: median(runs.map((r) => r.mbPerSec)),
      peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
      runs,
    },
    parseOnly: parse,
  };
  console.log(
    `\nmedian of ${RUNS}: ${summary.crawl.pagesPerSec.toFixed(0)} pages/s, ${
      summary.crawl.mbPerSec.toFixed(1)
    } MB/s, peak RSS ${summary.crawl.peakRssMb.toFixed(0)} MB`,
  );
  console.log(
    `parse only: ${parse.mbPerSec.toFixed(1)} MB/s of HTML (${
      (parse.linksPerSec / 1000).toFixed(0)
    }k links/s) over ${parse.mb.toFixed(1)} MB`,
  );
  await Deno.mkdir(OUT, { recursive: true });
  await Deno.writeTextFile(`${OUT}bench.json`, JSON.stringify(summary, null, 2) + "\n");
}
