/**
 * Turns the run directory written by `bench/peers/run.sh` into `bench/RESULTS.md`:
 * medians per crawler and scenario, ratios against skein, and every single run.
 *
 * usage: deno run --allow-read --allow-write bench/peers/report.ts RUN_DIR RESULTS.md
 *
 * Layout read: `RUN_DIR/meta.tsv` (key, tab, value) and
 * `RUN_DIR/{scenario}/{peer}/{run}/` with `time.txt` (`/usr/bin/time -v`), `rc`,
 * `stdout`, `stderr`, and optionally `done.json`, `page_events`, `unavailable`.
 * @module
 */

/** One crawler run, as measured. */
export interface RunRecord {
  scenario: string;
  peer: string;
  run: number;
  /** Why the run was not made (`unavailable` file), else `null`. */
  unavailable: string | null;
  rc: number | null;
  wallSecs: number | null;
  cpuSecs: number | null;
  rssMB: number | null;
  pages: number | null;
  /** The latency server's own timing of the run (`server.json`), when it has one. */
  server: ServerStats | null;
  /** skein's `trace:` line (SKEIN_TRACE=1 runs), else `null`. */
  trace: Record<string, unknown> | null;
  /** V8's `--trace-gc` log on stdout, summed; `null` when there is none. */
  gc: GcStats | null;
}

/** Garbage collection of one run, from V8's `--trace-gc` lines. */
export interface GcStats {
  scavenges: number;
  markCompacts: number;
  /** Pause time of every collection, plus incremental marking steps, in ms. */
  ms: number;
}

/**
 * Sums V8's `--trace-gc` lines: each collection's pause (`12.3 / 0.0 ms`) and
 * the incremental marking done before a mark-compact (`+ 4.5 ms in 12 steps`).
 */
export function parseTraceGc(text: string | null): GcStats | null {
  if (!text) return null;
  const gc: GcStats = { scavenges: 0, markCompacts: 0, ms: 0 };
  let seen = false;
  for (const line of text.split("\n")) {
    const m = line.match(
      /: (Scavenge|Mark-Compact|Incremental Mark-Compact|Minor Mark-Sweep|Mark-Compact \(reduce\))\b.*?, ([\d.]+) \/ [\d.]+ ms/,
    );
    if (!m) continue;
    seen = true;
    if (m[1] === "Scavenge" || m[1] === "Minor Mark-Sweep") gc.scavenges++;
    else gc.markCompacts++;
    gc.ms += Number(m[2]);
    const steps = line.match(/\(\+ ([\d.]+) ms in \d+ steps/);
    if (steps) gc.ms += Number(steps[1]);
  }
  return seen ? gc : null;
}

/** The last `trace: {...}` line of skein's stderr, parsed. */
export function parseTraceLine(text: string | null): Record<string, unknown> | null {
  const m = [...(text ?? "").matchAll(/^trace: (\{.*\})$/gm)].at(-1);
  if (!m) return null;
  try {
    return JSON.parse(m[1]);
  } catch {
    return null;
  }
}

/** What the latency server measured of one run (its `/_stats`). */
export interface ServerStats {
  /** Pages answered after the seed ÷ (last answer − seed's answer). */
  sustainedPerS: number;
  /** Requests in flight on average over the same window. */
  meanInFlight: number | null;
  /**
   * How long a slot stood empty, in ms: an answer leaving the server to the
   * request that took its slot arriving (`gap_ms`), when the run had one.
   */
  gapMeanMs: number | null;
  gapP50Ms: number | null;
  gapP99Ms: number | null;
  /** The same past the first two waves of C requests (`gap_steady_ms`): the steady state. */
  gapSteadyMeanMs: number | null;
  gapSteadyP50Ms: number | null;
  /** The first request, in s after run.sh reset the record just before starting the crawler. */
  firstRequestS: number | null;
}

/** Parses the latency server's `/_stats` JSON; `null` when absent or malformed. */
export function parseServerStats(text: string | null): ServerStats | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text);
    if (typeof v.sustained_per_s !== "number") return null;
    const num = (x: unknown) => (typeof x === "number" ? x : null);
    return {
      sustainedPerS: v.sustained_per_s,
      meanInFlight: num(v.mean_in_flight),
      gapMeanMs: num(v.gap_ms?.mean),
      gapP50Ms: num(v.gap_ms?.p50),
      gapP99Ms: num(v.gap_ms?.p99),
      gapSteadyMeanMs: num(v.gap_steady_ms?.mean),
      gapSteadyP50Ms: num(v.gap_steady_ms?.p50),
      firstRequestS: num(v.first_request_s),
    };
  } catch {
    return null;
  }
}

/** Medians of the runs of one crawler in one scenario. */
export interface Summary {
  peer: string;
  runs: number;
  unavailable: string | null;
  pages: number | null;
  wallSecs: number | null;
  pagesPerSec: number | null;
  cpuSecs: number | null;
  rssMB: number | null;
  /** Median of the server-side sustained pages/s (latency scenario), else `null`. */
  sustainedPerS: number | null;
  /** Medians of the server-side slot lag (mean and p99 of each run), ms. */
  gapMeanMs: number | null;
  gapP99Ms: number | null;
  /** Medians of the steady-state slot lag (mean and p50 of each run), ms. */
  gapSteadyMeanMs: number | null;
  gapSteadyP50Ms: number | null;
  /** Median time from the crawler's start to its first request, s. */
  firstRequestS: number | null;
  /** Problems seen in any run: failed exits, timeouts, wrong page counts. */
  notes: string[];
}

/** Median of the finite numbers in `xs`, `null` when there are none. */
export function median(xs: (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Parses `/usr/bin/time -v` output into wall and CPU seconds and peak RSS. */
export function parseTimeV(
  text: string,
): { wallSecs: number | null; cpuSecs: number | null; rssMB: number | null } {
  const field = (name: string) => text.match(new RegExp(`^\\s*${name}: (.+)$`, "m"))?.[1]?.trim();
  const wall = field("Elapsed \\(wall clock\\) time \\(h:mm:ss or m:ss\\)");
  let wallSecs: number | null = null;
  if (wall) wallSecs = wall.split(":").reduce((acc, part) => acc * 60 + Number(part), 0);
  const user = Number(field("User time \\(seconds\\)"));
  const sys = Number(field("System time \\(seconds\\)"));
  const rss = Number(field("Maximum resident set size \\(kbytes\\)"));
  return {
    wallSecs: wallSecs !== null && Number.isFinite(wallSecs) ? wallSecs : null,
    cpuSecs: Number.isFinite(user + sys) ? user + sys : null,
    rssMB: Number.isFinite(rss) ? rss / 1024 : null,
  };
}

async function readOr(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** Finds the last stdout line that is a JSON object with a numeric `pages`. */
function pagesFromJsonLines(text: string | null): number | null {
  if (!text) return null;
  const lines = text.trim().split("\n").reverse();
  for (const line of lines) {
    if (!line.startsWith("{")) continue;
    try {
      const v = JSON.parse(line);
      if (typeof v.pages === "number") return v.pages;
      if (typeof v.stats?.pages === "number") return v.stats.pages;
    } catch {
      // not JSON: keep looking
    }
  }
  return null;
}

/** The page count of one run, from whatever that crawler leaves behind. */
async function pagesOf(dir: string, peer: string): Promise<number | null> {
  const done = pagesFromJsonLines(await readOr(`${dir}/done.json`));
  if (done !== null) return done;
  if (peer.startsWith("skein")) {
    // --out /dev/null: the one-line summary on stderr, "done: N pages, ...".
    const err = (await readOr(`${dir}/stderr`)) ?? "";
    const m = [...err.matchAll(/done:\s*(\d+)\s+pages\b/g)].at(-1) ??
      err.match(/(?<![\d.])(\d+)\s+pages\b/);
    if (m) return Number(m[1]);
  }
  const events = await readOr(`${dir}/page_events`);
  if (events !== null && events.trim() !== "" && (peer === "wget" || Number(events) > 0)) {
    return Number(events.trim());
  }
  const fromStdout = pagesFromJsonLines(await readOr(`${dir}/stdout`));
  if (fromStdout !== null) return fromStdout;
  return null;
}

async function dirs(path: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(path)) if (e.isDirectory) out.push(e.name);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out.sort();
}

/** Reads every run under `runDir`. */
export async function readRuns(runDir: string): Promise<RunRecord[]> {
  const records: RunRecord[] = [];
  for (const scenario of await dirs(runDir)) {
    for (const peer of await dirs(`${runDir}/${scenario}`)) {
      for (const run of await dirs(`${runDir}/${scenario}/${peer}`)) {
        const dir = `${runDir}/${scenario}/${peer}/${run}`;
        const unavailable = (await readOr(`${dir}/unavailable`))?.trim() ?? null;
        const time = parseTimeV((await readOr(`${dir}/time.txt`)) ?? "");
        const rcText = await readOr(`${dir}/rc`);
        records.push({
          scenario,
          peer,
          run: Number(run),
          unavailable,
          rc: rcText === null ? null : Number(rcText.trim()),
          ...(unavailable ? { wallSecs: null, cpuSecs: null, rssMB: null } : time),
          pages: unavailable ? null : await pagesOf(dir, peer),
          server: unavailable ? null : parseServerStats(await readOr(`${dir}/server.json`)),
          trace: unavailable ? null : parseTraceLine(await readOr(`${dir}/stderr`)),
          gc: unavailable ? null : parseTraceGc(await readOr(`${dir}/stdout`)),
        });
      }
    }
  }
  return records;
}

/** Medians of one crawler's runs, with notes on anything that went wrong. */
export function summarize(peer: string, runs: RunRecord[], expectedPages: number): Summary {
  const done = runs.filter((r) => !r.unavailable);
  const notes = new Set<string>();
  for (const r of done) {
    if (r.rc === 124 || r.rc === 137) notes.add(`run ${r.run} timed out`);
    else if (r.rc !== 0) notes.add(`run ${r.run} exited ${r.rc}`);
    if (r.pages === null) notes.add(`run ${r.run}: page count unknown`);
    else if (r.pages < expectedPages) notes.add(`INCOMPLETE: run ${r.run} crawled ${r.pages}`);
    else if (r.pages > expectedPages) notes.add(`run ${r.run} fetched ${r.pages} (duplicates)`);
  }
  return {
    peer,
    runs: done.length,
    unavailable: done.length === 0 ? (runs[0]?.unavailable ?? "not run") : null,
    pages: median(done.map((r) => r.pages)),
    wallSecs: median(done.map((r) => r.wallSecs)),
    pagesPerSec: median(
      done.map((r) => r.pages !== null && r.wallSecs ? r.pages / r.wallSecs : null),
    ),
    cpuSecs: median(done.map((r) => r.cpuSecs)),
    rssMB: median(done.map((r) => r.rssMB)),
    sustainedPerS: median(done.map((r) => r.server?.sustainedPerS ?? null)),
    gapMeanMs: median(done.map((r) => r.server?.gapMeanMs ?? null)),
    gapP99Ms: median(done.map((r) => r.server?.gapP99Ms ?? null)),
    gapSteadyMeanMs: median(done.map((r) => r.server?.gapSteadyMeanMs ?? null)),
    gapSteadyP50Ms: median(done.map((r) => r.server?.gapSteadyP50Ms ?? null)),
    firstRequestS: median(done.map((r) => r.server?.firstRequestS ?? null)),
    notes: [...notes],
  };
}

function fmt(x: number | null, digits = 1): string {
  return x === null ? "–" : x.toFixed(digits);
}

function secsOf(duration: string): number {
  const m = duration.match(/^([\d.]+)(ms|s)$/);
  if (!m) return NaN;
  return m[2] === "ms" ? Number(m[1]) / 1000 : Number(m[1]);
}

const PEER_SETTINGS: Record<string, string> = {
  "skein-base": "as skein, from the SKEIN_BASE checkout (the version before the changes)",
  "skein-threads":
    "as skein, with `--threads N` (N = SKEIN_THREADS, 2 by default): one crawl over N engine threads",
  skein:
    "`cli.ts --concurrency C --per-host C --ignore-robots --max-depth 1000 --max-pages 1000000 --retries 0 --out FILE` (FILE = /dev/null; pages from the stderr summary)",
  "deno-floor":
    '`floor/floor.ts --concurrency C` (a reference, not a crawler): kept-alive `Deno.connect` sockets, `Content-Length` bodies, one regular expression for `href="…"`, string resolution, a `Set`; connections opened up to C 10 ms after start, as skein pre-connects; none of a crawler\'s other work (see its module doc)',
  colly:
    'Colly v2, `Async(true)`, `LimitRule{DomainGlob: "*", Parallelism: C}`, `AllowedDomains` = seed host, `MaxDepth(0)`, no delay, robots ignored, transport with 2C idle conns per host; hrefs stripped of `#fragment` and de-duplicated in `OnHTML` before `Visit` (see README)',
  scrapy:
    '`scrapy runspider`, `CONCURRENT_REQUESTS=C`, `CONCURRENT_REQUESTS_PER_DOMAIN=C`, `ROBOTSTXT_OBEY=False`, `DOWNLOAD_DELAY=0`, `AUTOTHROTTLE_ENABLED=False`, `RETRY_ENABLED=False`, `COOKIES_ENABLED=False`, `LOG_LEVEL=INFO`, `response.follow_all(css="a::attr(href)")`, `allowed_domains` = seed host, no items',
  crawlee:
    '`CheerioCrawler`, `minConcurrency = maxConcurrency = desiredConcurrency = C`, `maxRequestsPerCrawl` 10M, `maxRequestRetries: 0`, `persistStorage: false` (memory storage), `enqueueLinks({ strategy: "same-origin" })`',
  wget:
    "`wget -r -l inf -np -nd --delete-after -e robots=off -nv` (one connection at a time; -nv log used to count pages)",
};

interface Column {
  header: string;
  cell: (s: Summary) => string;
}

function table(summaries: Summary[], expected: number, extra: Column[] = []): string {
  const skein = summaries.find((s) => s.peer === "skein");
  const head = ["Crawler", `Pages (of ${expected})`, "Wall s", "Pages/s", "CPU s", "Peak RSS MB"];
  head.push(...extra.map((c) => c.header));
  head.push("skein ÷ peer (pages/s)", "Notes");
  const rows = [head, head.map(() => "---")];
  for (const s of summaries) {
    if (s.unavailable) {
      rows.push([
        s.peer,
        "–",
        "–",
        "–",
        "–",
        "–",
        ...extra.map(() => "–"),
        "–",
        `not available: ${s.unavailable}`,
      ]);
      continue;
    }
    const ratio = skein && !skein.unavailable && skein.pagesPerSec && s.pagesPerSec
      ? (skein.pagesPerSec / s.pagesPerSec).toFixed(2)
      : "–";
    const flag = s.pages !== null && s.pages !== expected ? " ⚠" : "";
    rows.push([
      s.peer,
      `${fmt(s.pages, 0)}${flag}`,
      fmt(s.wallSecs, 2),
      fmt(s.pagesPerSec, 0),
      fmt(s.cpuSecs, 2),
      fmt(s.rssMB, 0),
      ...extra.map((c) => c.cell(s)),
      s.peer === "skein" ? "1.00" : ratio,
      s.notes.join("; ") || "",
    ]);
  }
  return rows.map((r) => `| ${r.join(" | ")} |`).join("\n");
}

function gapCell(s: Summary): string {
  return s.gapMeanMs === null ? "–" : `${fmt(s.gapMeanMs, 1)} / ${fmt(s.gapP99Ms, 0)}`;
}

function steadyGapCell(s: Summary): string {
  return s.gapSteadyMeanMs === null
    ? "–"
    : `${fmt(s.gapSteadyMeanMs, 1)} / ${fmt(s.gapSteadyP50Ms, 1)}`;
}

function firstRequestCell(s: Summary): string {
  return s.firstRequestS === null ? "–" : `${Math.round(s.firstRequestS * 1000)}`;
}

type Lag = { mean?: number; p50?: number; p99?: number } | null | undefined;

function lagCell(l: Lag): string {
  return l
    ? `${fmt(l.p50 ?? null, 2)} / ${fmt(l.mean ?? null, 1)} / ${fmt(l.p99 ?? null, 0)}`
    : "–";
}

/** skein's own view of its lag (SKEIN_TRACE=1 runs of the latency scenario). */
function traceSection(runs: RunRecord[]): string[] {
  const out: string[] = ["## Where skein's lag goes (latency scenario, traced runs)", ""];
  out.push(
    "Extra skein runs of the latency scenario with `SKEIN_TRACE=1` (src/trace/dispatch_trace.ts: four timestamps per request, paired by rank) and V8's `--trace-gc`; not part of the medians above. Each stage as p50 / mean / p99 in ms, past the first wave. *Answer → write* is the whole lag seen from inside: the client reading an answer's last byte to the request that took its slot being written (a socket write in Deno is a system call made at once, so written is on the wire). The server's slot lag is the same interval on the server's clock; what it has more is the time an answer waited in the socket for the event loop to read it.",
    "",
  );
  const head = [
    "Run",
    "Pages/s",
    "Sustained",
    "Server slot lag mean / p99",
    "Answer → slot free",
    "Slot free → dispatch",
    "Dispatch → write",
    "Answer → write",
    "First wave: seed's answer → C-th request written",
    "Event-loop delay p50 / p99 / max",
    "GC: scavenges, mark-compacts, ms (% of CPU)",
    "CPU ms/page",
  ];
  out.push(`| ${head.join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`);
  for (const r of runs) {
    const t = r.trace ?? {};
    const eld = t.eventLoopDelay as { p50: number; p99: number; max: number } | undefined;
    const pps = r.pages !== null && r.wallSecs ? r.pages / r.wallSecs : null;
    const gc = r.gc;
    const gcCell = gc
      ? `${gc.scavenges}, ${gc.markCompacts}, ${fmt(gc.ms, 0)} (${
        r.cpuSecs ? fmt((100 * gc.ms) / 1000 / r.cpuSecs, 0) : "–"
      } %)`
      : "–";
    out.push(
      `| ${
        [
          String(r.run),
          fmt(pps, 0),
          r.server ? `${fmt(r.server.sustainedPerS, 0)}/s` : "–",
          r.server ? `${fmt(r.server.gapMeanMs, 1)} / ${fmt(r.server.gapP99Ms, 0)}` : "–",
          lagCell(t.bodyEndToSlotFree as Lag),
          lagCell(t.slotFreeToDispatch as Lag),
          lagCell(t.dispatchToWrite as Lag),
          lagCell(t.bodyEndToWrite as Lag),
          (t.firstWave as { written?: number } | null)?.written !== undefined
            ? `${fmt((t.firstWave as { written: number }).written, 0)} ms`
            : "–",
          eld ? `${fmt(eld.p50, 2)} / ${fmt(eld.p99, 1)} / ${fmt(eld.max, 0)}` : "–",
          gcCell,
          r.cpuSecs && r.pages ? fmt((1000 * r.cpuSecs) / r.pages, 3) : "–",
        ].join(" | ")
      } |`,
    );
  }
  out.push("");
  return out;
}

/** The wide scenario: one table per concurrency, then the curve. */
function wideSection(
  meta: Map<string, string>,
  records: RunRecord[],
  peers: string[],
  scenarios: string[],
): string[] {
  const expected = Number(meta.get("wide_pages") ?? "20000");
  const delay = meta.get("latency_delay") ?? "250ms";
  const out: string[] = [
    `## Scenario 3: wide, ${expected} pages at ${delay}, concurrency 500 → 2,000`,
    "",
  ];
  out.push(
    `${expected} pages from the latency server (\`/index.html\` links to 2,000 pages), each answered after ${delay}, crawled at each concurrency C in turn; ceiling C / ${delay} (8,000 pages/s at C = 2,000, more than one core can parse). The script raises the open-files limit to the hard limit (\`ulimit -n\`, ${
      meta.get("open_files") ?? "?"
    } here): 2,000 requests in flight need 2,000 sockets in the crawler and as many in the server.`,
    "",
  );
  const curve = new Map<string, Summary[]>();
  for (const sc of scenarios) {
    const c = Number(sc.slice(5));
    const ceiling = c / secsOf(delay);
    const pct = (x: number | null) => (x === null ? "–" : `${((100 * x) / ceiling).toFixed(0)} %`);
    const summaries = peers.filter((p) => p !== "wget").map((p) =>
      summarize(p, records.filter((r) => r.scenario === sc && r.peer === p), expected)
    ).filter((s) => !s.unavailable || s.unavailable !== "not run");
    for (const s of summaries) curve.set(s.peer, [...(curve.get(s.peer) ?? []), s]);
    out.push(`### C = ${c} (ceiling ${ceiling.toFixed(0)} pages/s)`, "");
    out.push(
      table(summaries, expected, [
        { header: "Fraction of ceiling, wall clock", cell: (s) => pct(s.pagesPerSec) },
        { header: "Fraction of ceiling, sustained", cell: (s) => pct(s.sustainedPerS) },
        { header: "Slot lag mean / p99 ms", cell: gapCell },
      ]),
      "",
    );
  }
  out.push("### The curve: pages/s (sustained % of the ceiling) as C grows", "");
  const cs = scenarios.map((sc) => Number(sc.slice(5)));
  out.push(`| Crawler | ${cs.map((c) => `C = ${c}`).join(" | ")} |`);
  out.push(`| --- | ${cs.map(() => "---").join(" | ")} |`);
  for (const [peer, sums] of curve) {
    out.push(
      `| ${peer} | ${
        sums.map((s, i) =>
          s.unavailable
            ? "–"
            : `${fmt(s.pagesPerSec, 0)} (${
              s.sustainedPerS === null
                ? "–"
                : fmt((100 * s.sustainedPerS) / (cs[i] / secsOf(delay)), 0)
            } %)${s.notes.length > 0 ? " ⚠" : ""}`
        ).join(" | ")
      } |`,
    );
  }
  out.push("");
  return out;
}

/** Builds the Markdown report. */
export function render(meta: Map<string, string>, records: RunRecord[]): string {
  const get = (k: string) => meta.get(k) ?? "?";
  const peers = get("peers").split(",");
  const lines: string[] = [];
  lines.push("# Peer benchmark results", "");
  lines.push(
    `Generated by \`deno task bench:peers\` (bench/peers/run.sh) on ${
      get("date")
    }. Each figure is the median of ${
      get("runs")
    } runs, interleaved round-robin across crawlers. Every crawler is measured as a whole process with \`/usr/bin/time -v\` (CPU = user + sys, children included; peak RSS is the largest process). Wall time includes process start-up. The machine is small and shared with other work, so the figures are noisy; compare ratios, not absolute numbers.`,
    "",
  );
  lines.push("## Machine", "");
  lines.push(`- CPU: ${get("cpu")}, ${get("nproc")} cores (nproc)`);
  lines.push(`- Memory: ${get("memory")}`);
  lines.push(`- Kernel: ${get("kernel")}`, "");
  lines.push("## Versions", "");
  lines.push(`- skein: ${get("v_skein")}`);
  if (peers.includes("skein-base")) {
    lines.push(`- skein-base (SKEIN_BASE, the version before): ${get("v_skein_base")}`);
  }
  lines.push(`- Colly: ${get("v_colly")}`);
  lines.push(`- Scrapy: ${get("v_scrapy")}`);
  lines.push(`- Crawlee: ${get("v_crawlee")}`);
  lines.push(`- wget: ${get("v_wget")}`);
  lines.push(`- nginx: ${get("v_nginx")}`, "");

  const scenarios = get("scenarios").split(",");
  if (scenarios.includes("static")) {
    const expected = Number(get("pages"));
    const c = get("static_concurrency");
    const summaries = peers.map((p) =>
      summarize(p, records.filter((r) => r.scenario === "static" && r.peer === p), expected)
    );
    lines.push("## Scenario 1: static site served by nginx", "");
    lines.push(
      `${expected} generated pages of about 20 KB with about 50 links each (bench/gen_site.ts, seed 1), served by nginx on loopback; one origin, robots.txt ignored, concurrency ${c} (per host ${c}), results discarded.`,
      "",
    );
    lines.push(
      `Ceiling: nginx alone serves **${
        get("ceiling_static")
      } req/s** for one page (\`wrk -t2 -c64 -d5s\`, on the same cores the crawler would use).`,
      "",
    );
    lines.push(table(summaries, expected), "");
    lines.push(
      "wget fetches over a single connection, one page at a time (no concurrency setting).",
      "",
    );
  }
  if (scenarios.includes("latency")) {
    const expected = Number(get("latency_pages"));
    const c = Number(get("latency_concurrency"));
    const delay = get("latency_delay");
    const ceiling = c / secsOf(delay);
    const summaries = peers.map((p) =>
      summarize(p, records.filter((r) => r.scenario === "latency" && r.peer === p), expected)
    );
    lines.push(`## Scenario 2: ${delay} per page, concurrency ${c}`, "");
    lines.push(
      `${expected} pages from bench/peers/latency (Go net/http on loopback), each answered after ${delay}. Concurrency ${c} for every crawler, so the ceiling is ${c} / ${delay} = **${
        ceiling.toFixed(0)
      } pages/s**. The server alone answered ${
        get("ceiling_latency_server")
      } req/s under \`wrk -t2 -c${
        get("wrk_latency_conns")
      } -d5s\`, so it is not the bottleneck. wget is left out (single connection: at most 4 pages/s).`,
      "",
    );
    const pct = (x: number | null) => (x === null ? "–" : `${((100 * x) / ceiling).toFixed(0)} %`);
    lines.push(
      table(summaries.filter((s) => s.peer !== "wget"), expected, [
        { header: "Fraction of ceiling, wall clock", cell: (s) => pct(s.pagesPerSec) },
        { header: "Fraction of ceiling, sustained", cell: (s) => pct(s.sustainedPerS) },
        { header: "Slot lag mean / p99 ms", cell: gapCell },
        { header: "Slot lag past 2 waves, mean / p50 ms", cell: steadyGapCell },
        { header: "First request after start, ms", cell: firstRequestCell },
      ]),
      "",
    );
    const ideal = expected / (secsOf(delay) + (expected - 1) / ceiling);
    lines.push(
      `Two measures of the same runs. **Wall clock** is pages ÷ the crawler's whole run, start-up included. It cannot reach 100 %: nothing is known but the seed for its first ${delay}, so even a crawler with no overhead at all would take ${delay} + ${
        expected - 1
      } pages ÷ ${ceiling.toFixed(0)}/s and score ${
        (100 * ideal / ceiling).toFixed(0)
      } %. **Sustained** is measured by the latency server itself: pages answered after the seed ÷ the time from the seed's answer to the last answer. A crawler that always keeps ${c} requests in flight scores 100 % there, so it measures what the ceiling describes: how well the crawler keeps its concurrency busy. **Slot lag**, also the server's: request j (in order of arrival) can only come once answer j − ${c} has left, so arrival j − departure j − ${c} is how long that slot stood empty: the crawler's lag per request, from an answer's last byte to the next request's first. _Past 2 waves_ leaves out requests j ≤ 2 × ${c} (the first wave's new connections and a cold JIT). _First request after start_: from just before the crawler is started to its first request reaching the server (process start-up).`,
      "",
    );
  }
  const traced = records.filter((r) => r.scenario === "latency-trace" && !r.unavailable);
  if (traced.length > 0) lines.push(...traceSection(traced));
  const wide = [...new Set(records.map((r) => r.scenario))]
    .filter((sc) => sc.startsWith("wide-"))
    .sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
  if (wide.length > 0) lines.push(...wideSection(meta, records, peers, wide));

  lines.push("## Settings of each crawler", "");
  lines.push("C is the scenario's concurrency. Details and reasons in bench/peers/README.md.", "");
  for (const p of peers) if (PEER_SETTINGS[p]) lines.push(`- **${p}**: ${PEER_SETTINGS[p]}`);
  if (get("skein_args") !== "" && get("skein_args") !== "?") {
    lines.push(`- skein extra arguments: \`${get("skein_args")}\``);
  }
  const baseArgs = get("skein_base_args");
  if (peers.includes("skein-base") && baseArgs !== get("skein_args") && baseArgs !== "?") {
    lines.push(`- skein-base extra arguments: \`${baseArgs === "" ? "(none)" : baseArgs}\``);
  }
  lines.push("");

  lines.push("## All runs", "");
  lines.push(
    "| Scenario | Run | Crawler | Exit | Pages | Wall s | Pages/s | CPU s | Peak RSS MB |",
  );
  lines.push("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  const sorted = [...records].sort((a, b) =>
    a.scenario.localeCompare(b.scenario) || a.run - b.run || a.peer.localeCompare(b.peer)
  );
  for (const r of sorted) {
    if (r.unavailable) continue;
    const pps = r.pages !== null && r.wallSecs ? r.pages / r.wallSecs : null;
    lines.push(
      `| ${r.scenario} | ${r.run} | ${r.peer} | ${r.rc ?? "–"} | ${fmt(r.pages, 0)} | ${
        fmt(r.wallSecs, 2)
      } | ${fmt(pps, 0)} | ${fmt(r.cpuSecs, 2)} | ${fmt(r.rssMB, 0)} |`,
    );
  }
  lines.push("");
  return lines.join("\n");
}

if (import.meta.main) {
  const [runDir, outPath] = Deno.args;
  if (!runDir || !outPath) {
    console.error("usage: report.ts RUN_DIR RESULTS.md");
    Deno.exit(2);
  }
  const meta = new Map<string, string>();
  for (const line of (await Deno.readTextFile(`${runDir}/meta.tsv`)).split("\n")) {
    const tab = line.indexOf("\t");
    if (tab > 0) meta.set(line.slice(0, tab), line.slice(tab + 1));
  }
  const md = render(meta, await readRuns(runDir));
  await Deno.writeTextFile(outPath, md);
  // Echo the summary tables (everything before the settings) to the terminal.
  console.log(md.slice(0, md.indexOf("## Settings of each crawler")).trim());
}
