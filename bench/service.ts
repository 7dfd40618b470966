/**
 * `deno task bench:service`: how fast the service is next to its engine.
 *
 * A Go server (`bench/peers/latency`, built into `bench/out/`) serves a
 * generated site of BENCH_SERVICE_PAGES (20,000) pages of about 4 KB with
 * about 10 new links a page from its own process on loopback, with no delay.
 * Three paths crawl it at concurrency 64 (perHost 64), robots off:
 *
 * - `cli`: `deno task crawl`, its NDJSON to a file;
 * - `memory`: `deno task start` with the in-memory store, one job posted with
 *   `Accept: application/x-ndjson` and read to its end by `curl -N` (this
 *   process reads it when there is no curl);
 * - `ferretdb`: the same on MONGODB_URI (skipped when unset), a fresh
 *   database per run, plus the documents and bytes stored per fetched page
 *   and, when the database runs on this machine, its CPU per fetched page.
 *
 * Each path runs BENCH_SERVICE_RUNS (3) times, interleaved; the table shows
 * medians: seconds, pages/s, share of the CLI's pages/s, and the peak RSS
 * (VmHWM) of the crawling process. Targets (issue 11): memory >= 85 % of the
 * CLI; FerretDB >= 50 % with the service at <= 200 MB.
 *
 * Knobs (env): BENCH_SERVICE_PAGES, BENCH_SERVICE_RUNS, BENCH_SERVICE_PATHS
 * (`cli,memory,ferretdb`), BENCH_SERVICE_ROOT (run `cli.ts`/`main.ts` from
 * another checkout, e.g. an older commit), BENCH_SERVICE_BASE (a checkout whose
 * service runs as one more path, `ferretdb-base`, interleaved with `ferretdb`:
 * an A/B in one sitting), BENCH_SERVICE_BASE_URI (the database of
 * `ferretdb-base`, MONGODB_URI by default), BENCH_SERVICE_FLAGS
 * (Deno flags of the service, default those of `deno task start`),
 * MONGODB_URI. The scale-out figure is `bench/scale_out.ts`, run after this
 * by the task.
 *
 * @module
 */
import { MongoClient } from "mongodb";
import { BSON } from "mongodb";

const PAGES = Number(Deno.env.get("BENCH_SERVICE_PAGES") ?? 20_000);
const RUNS = Number(Deno.env.get("BENCH_SERVICE_RUNS") ?? 3);
const PATHS = (Deno.env.get("BENCH_SERVICE_PATHS") ?? "cli,memory,ferretdb").split(",");
const ROOT = Deno.env.get("BENCH_SERVICE_ROOT") ?? new URL("..", import.meta.url).pathname;
/** Another checkout whose service runs as path `ferretdb-base`, interleaved with `ferretdb`. */
const BASE = Deno.env.get("BENCH_SERVICE_BASE") ?? "";
const MONGODB_URI = Deno.env.get("MONGODB_URI") ?? "";
/** The database of path `ferretdb-base` (e.g. one run with other settings), MONGODB_URI by default. */
const BASE_URI = Deno.env.get("BENCH_SERVICE_BASE_URI") || MONGODB_URI;
const OUT = new URL("./out/", import.meta.url).pathname;
const CONCURRENCY = 64;
const SERVICE_FLAGS = (Deno.env.get("BENCH_SERVICE_FLAGS") ??
  "--v8-flags=--max-semi-space-size=8,--min-semi-space-size=8,--max-old-space-size=1024").split(" ")
  .filter((f) => f);

/** Figures of one run of one path. */
export interface RunFigures {
  pages: number;
  seconds: number;
  peakRssMb: number;
  /** Stored documents and BSON bytes per fetched page (FerretDB only). */
  docsPerPage?: number;
  bytesPerPage?: number;
  /** CPU of the database process (when local) during the crawl, in ms per fetched page. */
  dbCpuMsPerPage?: number;
  /**
   * CPU of the crawling process (CLI or service, all its threads), in ms per
   * fetched page. The CLI's is its last 100 ms sample before it exits.
   */
  cpuMsPerPage?: number;
}

/**
 * Each run's pages/s over the CLI run just before it (the two ran back to
 * back, so a slow minute on this shared box slows both): their median and
 * range, e.g. `47 % (44-56)`; empty without CLI runs.
 */
export function runShares(cli: number[], path: number[]): string {
  const shares = path.slice(0, cli.length).map((r, i) => 100 * r / cli[i]);
  if (shares.length === 0) return "";
  return `${median(shares).toFixed(0)} % (${Math.min(...shares).toFixed(0)}-${
    Math.max(...shares).toFixed(0)
  })`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Builds the Go site server once; returns the binary's path. */
export async function buildSiteServer(): Promise<string> {
  const bin = `${OUT}latency-server`;
  await Deno.mkdir(OUT, { recursive: true });
  const out = await new Deno.Command("go", {
    args: ["build", "-o", bin, "."],
    cwd: new URL("./peers/latency/", import.meta.url).pathname,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error("go build of bench/peers/latency failed");
  return bin;
}

/** Starts the Go site server on `host:port`; waits (bounded) until it answers. */
export async function startSiteServer(
  bin: string,
  addr: string,
  flags: string[],
): Promise<Deno.ChildProcess> {
  const child = new Deno.Command(bin, {
    args: ["-addr", addr, ...flags],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const until = Date.now() + 10_000;
  for (;;) {
    try {
      const res = await fetch(`http://${addr}/robots.txt`);
      await res.body?.cancel();
      return child;
    } catch {
      if (Date.now() > until) {
        child.kill("SIGKILL");
        throw new Error(`site server on ${addr} did not answer within 10 s`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Peak RSS (VmHWM) of a live process, in MB. */
export async function peakRssMb(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`).catch(() => "");
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : NaN;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function runCli(seed: string): Promise<RunFigures> {
  const out = await Deno.makeTempFile({ suffix: ".ndjson" });
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--max-semi-space-size=8,--min-semi-space-size=8,--max-old-space-size=1024",
      `${ROOT}/cli.ts`,
      "--concurrency",
      String(CONCURRENCY),
      "--per-host",
      String(CONCURRENCY),
      "--ignore-robots",
      "--max-pages",
      "10000000",
      "--max-depth",
      "1000",
      "--quiet",
      "--out",
      out,
      seed,
    ],
    env: { MALLOC_ARENA_MAX: "2" },
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  let peak = 0;
  let cpu = 0;
  const sampler = setInterval(async () => {
    try {
      const now = await peakRssMb(child.pid);
      if (!Number.isNaN(now)) peak = Math.max(peak, now);
      cpu = Math.max(cpu, await cpuMs(child.pid));
    } catch { /* exited */ }
  }, 100);
  await child.status;
  clearInterval(sampler);
  const seconds = (performance.now() - t0) / 1000;
  const text = await Deno.readTextFile(out);
  await Deno.remove(out);
  const last = JSON.parse(text.trimEnd().split("\n").at(-1)!);
  return {
    pages: last.stats.pages,
    seconds,
    peakRssMb: peak,
    cpuMsPerPage: cpu / last.stats.pages,
  };
}

/** Starts `main.ts` with `env`; resolves when it listens. */
export async function startService(
  env: Record<string, string>,
  entry = "main.ts",
  root = ROOT,
): Promise<{ child: Deno.ChildProcess; port: number }> {
  const port = await freePort();
  const child = new Deno.Command(Deno.execPath(), {
    // As `deno task start` / `deno task worker` run it (BENCH_SERVICE_FLAGS= for none).
    args: ["run", "-A", ...SERVICE_FLAGS, `${root}/${entry}`],
    env: {
      MALLOC_ARENA_MAX: "2",
      PORT: String(port),
      HOST: "127.0.0.1",
      // The SSRF guard on, loopback let through: the service's usual set-up.
      CRAWLER_ALLOW_NETS: "127.0.0.0/8",
      LIMIT_MAX_PAGES: "10000000",
      ...env,
    },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const until = Date.now() + 30_000;
  while (!text.includes("listening on")) {
    if (Date.now() > until) throw new Error(`service did not start: ${text}`);
    const { value, done } = await reader.read();
    if (done) throw new Error(`service exited: ${text}`);
    text += value;
  }
  // Keep draining stderr so the child never blocks on a full pipe (kept in
  // BENCH_SERVICE_LOG, a file, when set).
  const logFile = Deno.env.get("BENCH_SERVICE_LOG");
  (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        if (logFile) await Deno.writeTextFile(logFile, value, { append: true });
      }
    } catch { /* closed */ }
  })();
  return { child, port };
}

async function stopService(child: Deno.ChildProcess): Promise<void> {
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  await child.status;
  clearTimeout(timer);
}

/** Counts the documents and BSON bytes of every collection of `db`. */
export async function storedFigures(
  uri: string,
  db: string,
): Promise<{ docs: number; bytes: number; byCollection: Record<string, [number, number]> }> {
  const client = new MongoClient(uri);
  try {
    const d = client.db(db);
    const byCollection: Record<string, [number, number]> = {};
    let docs = 0;
    let bytes = 0;
    for (const c of await d.listCollections().toArray()) {
      let n = 0;
      let b = 0;
      for await (const doc of d.collection(c.name).find({})) {
        n++;
        b += BSON.calculateObjectSize(doc);
      }
      byCollection[c.name] = [n, b];
      docs += n;
      bytes += b;
    }
    if (!Deno.env.get("BENCH_KEEP_DB")) await d.dropDatabase();
    return { docs, bytes, byCollection };
  } finally {
    await client.close();
  }
}

/**
 * The pid of the process listening on `uri`'s port when it runs on
 * this machine (FerretDB started by `scripts/ferretdb.sh`), else `null`.
 */
async function databasePid(uri: string): Promise<number | null> {
  const port = /:(\d+)\/?/.exec(uri.replace(/^mongodb:\/\//, ""))?.[1];
  if (!port) return null;
  try {
    const out = await new Deno.Command("ss", { args: ["-ltnpH", `sport = :${port}`] }).output();
    const pid = /pid=(\d+)/.exec(new TextDecoder().decode(out.stdout))?.[1];
    return pid ? Number(pid) : null;
  } catch {
    return null;
  }
}

/** CPU time (user + system) a process has used so far, in ms. */
async function cpuMs(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}

/**
 * POSTs a job with `Accept: application/x-ndjson` and reads its events to
 * the end, as the issue measures it: `curl -N` (its output to a file), so
 * that the reader costs the machine little CPU next to the service. Without
 * curl, this process reads the stream. Resolves with the last 4 KB of text.
 */
async function postAndFollow(url: string, body: unknown): Promise<string> {
  const json = JSON.stringify(body);
  const out = await Deno.makeTempFile({ suffix: ".ndjson" });
  try {
    const curl = await new Deno.Command("curl", {
      args: [
        "-sSN",
        "--fail-with-body",
        "-X",
        "POST",
        "-H",
        "content-type: application/json",
        "-H",
        "accept: application/x-ndjson",
        "--data-binary",
        json,
        "-o",
        out,
        url,
      ],
      stdout: "null",
      stderr: "piped",
    }).output().catch(() => null);
    if (curl !== null) {
      if (!curl.success) {
        throw new Error(`curl POST ${url}: ${new TextDecoder().decode(curl.stderr)}`);
      }
      const file = await Deno.open(out);
      try {
        const { size } = await file.stat();
        await file.seek(Math.max(0, size - 4096), Deno.SeekMode.Start);
        const buf = new Uint8Array(Math.min(size, 4096));
        let n = 0;
        while (n < buf.length) {
          const r = await file.read(buf.subarray(n));
          if (r === null) break;
          n += r;
        }
        return new TextDecoder().decode(buf.subarray(0, n));
      } finally {
        file.close();
      }
    }
  } finally {
    await Deno.remove(out).catch(() => {});
  }
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/x-ndjson" },
    body: json,
  });
  if (!res.ok) throw new Error(`POST ${url}: ${res.status} ${await res.text()}`);
  let tail = "";
  for await (const chunk of res.body!.pipeThrough(new TextDecoderStream())) {
    tail = (tail + chunk).slice(-4096);
  }
  return tail;
}

async function runService(
  seed: string,
  mongo: boolean,
  root = ROOT,
  uri = MONGODB_URI,
): Promise<RunFigures> {
  const db = `bench_${Date.now()}`;
  // MONGODB_URI is set empty for the in-memory path: the child inherits this process's env.
  const env: Record<string, string> = mongo
    ? { MONGODB_URI: uri, MONGODB_DB: db }
    : { MONGODB_URI: "" };
  const { child, port } = await startService(env, "main.ts", root);
  const dbPid = mongo ? await databasePid(uri) : null;
  const dbCpuBefore = dbPid === null ? 0 : await cpuMs(dbPid);
  const cpuBefore = await cpuMs(child.pid);
  try {
    const t0 = performance.now();
    const tail = await postAndFollow(`http://127.0.0.1:${port}/jobs`, {
      urls: [seed],
      options: {
        concurrency: CONCURRENCY,
        perHost: CONCURRENCY,
        ignoreRobots: true,
        maxPages: 10_000_000,
        maxDepth: 1000,
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    const last = JSON.parse(tail.trimEnd().split("\n").at(-1)!);
    if (last.type !== "done") throw new Error(`stream did not end with done: ${tail}`);
    const peak = await peakRssMb(child.pid);
    const figures: RunFigures = {
      pages: last.stats.pages,
      seconds,
      peakRssMb: peak,
      cpuMsPerPage: (await cpuMs(child.pid) - cpuBefore) / last.stats.pages,
    };
    if (dbPid !== null) figures.dbCpuMsPerPage = (await cpuMs(dbPid) - dbCpuBefore) / figures.pages;
    await stopService(child);
    if (mongo) {
      const s = await storedFigures(uri, db);
      figures.docsPerPage = s.docs / figures.pages;
      figures.bytesPerPage = s.bytes / figures.pages;
      console.error(`  stored: ${JSON.stringify(s.byCollection)}`);
    }
    return figures;
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }
}

if (import.meta.main) {
  const bin = await buildSiteServer();
  const addr = `127.0.0.1:${await freePort()}`;
  const site = await startSiteServer(bin, addr, [
    "-pages",
    String(PAGES),
    "-delay",
    "0s",
    "-bytes",
    "4000",
    "-fanout",
    "10",
    "-breadth",
    "10",
  ]);
  const seed = `http://${addr}/index.html`;
  const paths = PATHS.filter((p) => p !== "ferretdb" || MONGODB_URI !== "");
  if (BASE && paths.includes("ferretdb")) paths.push("ferretdb-base");
  if (PATHS.includes("ferretdb") && !MONGODB_URI) console.error("MONGODB_URI unset: no ferretdb");
  const results = new Map<string, RunFigures[]>(paths.map((p) => [p, []]));
  try {
    for (let i = 0; i < RUNS; i++) {
      for (const p of paths) {
        const f = p === "cli"
          ? await runCli(seed)
          : p === "ferretdb-base"
          ? await runService(seed, true, BASE, BASE_URI)
          : await runService(seed, p === "ferretdb");
        console.error(
          `run ${i + 1} ${p}: ${f.pages} pages in ${f.seconds.toFixed(2)} s, ` +
            `peak RSS ${f.peakRssMb.toFixed(0)} MB` +
            (f.docsPerPage !== undefined
              ? `, ${f.docsPerPage.toFixed(2)} docs and ${f.bytesPerPage!.toFixed(0)} B per page`
              : "") +
            `, CPU ${f.cpuMsPerPage?.toFixed(3)} ms per page` +
            (f.dbCpuMsPerPage !== undefined
              ? `, database CPU ${f.dbCpuMsPerPage.toFixed(3)} ms per page`
              : ""),
        );
        results.get(p)!.push(f);
      }
    }
  } finally {
    site.kill("SIGKILL");
    await site.status;
  }
  const cliRates = results.get("cli")?.map((f) => f.pages / f.seconds) ?? [];
  const cliRate = cliRates.length > 0 ? median(cliRates) : NaN;
  console.log(
    `\nservice benchmark: ${PAGES} pages of ~4 KB, ~10 new links a page, concurrency ${CONCURRENCY}, ` +
      `robots off, ${RUNS} runs each (medians); root ${ROOT}\n`,
  );
  console.log(
    "| path | pages | s | pages/s | share of CLI | share, run by run | peak RSS MB | CPU ms/page | docs/page | B/page | database CPU ms/page |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const [p, fs] of results) {
    const rate = median(fs.map((f) => f.pages / f.seconds));
    const docs = fs[0].docsPerPage === undefined
      ? ""
      : median(fs.map((f) => f.docsPerPage!)).toFixed(2);
    const bytes = fs[0].bytesPerPage === undefined
      ? ""
      : median(fs.map((f) => f.bytesPerPage!)).toFixed(0);
    const dbCpu = fs[0].dbCpuMsPerPage === undefined
      ? ""
      : median(fs.map((f) => f.dbCpuMsPerPage!)).toFixed(3);
    console.log(
      `| ${p} | ${median(fs.map((f) => f.pages))} | ${
        median(fs.map((f) => f.seconds)).toFixed(2)
      } | ` +
        `${rate.toFixed(0)} | ${(100 * rate / cliRate).toFixed(0)} % | ` +
        `${runShares(cliRates, fs.map((f) => f.pages / f.seconds))} | ` +
        `${median(fs.map((f) => f.peakRssMb)).toFixed(0)} | ` +
        `${
          median(fs.map((f) => f.cpuMsPerPage ?? NaN)).toFixed(3)
        } | ${docs} | ${bytes} | ${dbCpu} |`,
    );
  }
}
