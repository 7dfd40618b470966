/**
 * The scale-out figure of `deno task bench:service` (issue 11): 20 hosts
 * (127.0.0.2-127.0.0.21, one Go server each, BENCH_SCALE_PAGES (1,000) pages
 * a host, 250 ms per answer), one job seeded with the 20 index pages,
 * `perHost` 10, `concurrency` 50, and 1, 2 and 4 workers
 * (`deno task worker`) against one database (MONGODB_URI), with one API-only
 * process (`RUN_JOBS=false`) taking the job. A worker's ceiling is
 * 50 / 0.25 s = 200 pages/s; the table prints pages/s and the ratio to one
 * worker against the 0.85 x N the issue asks for.
 *
 * Knobs (env): BENCH_SCALE_PAGES, BENCH_SCALE_WORKERS (`1,2,4`), MONGODB_URI.
 *
 * @module
 */
import { MongoClient } from "mongodb";
import { buildSiteServer, startService, startSiteServer } from "./service.ts";

const PAGES = Number(Deno.env.get("BENCH_SCALE_PAGES") ?? 1000);
const WORKERS = (Deno.env.get("BENCH_SCALE_WORKERS") ?? "1,2,4").split(",").map(Number);
const MONGODB_URI = Deno.env.get("MONGODB_URI") ?? "";
const HOSTS = Array.from({ length: 20 }, (_, i) => `127.0.0.${i + 2}`);
const PORT = 18_700 + Math.floor(Math.random() * 200);

async function stop(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch { /* gone */ }
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, 20_000);
  await child.status;
  clearTimeout(timer);
}

async function runOnce(workers: number): Promise<{ pages: number; seconds: number }> {
  const db = `bench_scale_${Date.now()}`;
  const env = {
    MONGODB_URI,
    MONGODB_DB: db,
    JOB_POLL_MS: "200",
    LIMIT_MAX_PAGES: "10000000",
  };
  const api = await startService({ ...env, RUN_JOBS: "false" });
  const ws = [];
  try {
    for (let i = 0; i < workers; i++) ws.push(await startService(env, "worker.ts"));
    const origin = `http://127.0.0.1:${api.port}`;
    const t0 = performance.now();
    const res = await fetch(`${origin}/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        urls: HOSTS.map((h) => `http://${h}:${PORT}/index.html`),
        options: { perHost: 10, concurrency: 50, maxPages: 10_000_000, maxDepth: 1000 },
      }),
    });
    if (res.status !== 201) throw new Error(`POST /jobs: ${res.status} ${await res.text()}`);
    const { id } = await res.json();
    const until = Date.now() + 30 * 60_000;
    for (;;) {
      const job = await (await fetch(`${origin}/jobs/${id}`)).json();
      if (job.status === "completed" || job.status === "failed") {
        return { pages: job.counters.pages, seconds: (performance.now() - t0) / 1000 };
      }
      if (Date.now() > until) throw new Error(`job still ${job.status} after 30 min`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await Promise.all([api, ...ws].map((p) => stop(p.child)));
    const client = new MongoClient(MONGODB_URI);
    await client.db(db).dropDatabase().catch(() => {});
    await client.close();
  }
}

if (import.meta.main) {
  if (!MONGODB_URI) throw new Error("MONGODB_URI is needed (workers share a database)");
  const bin = await buildSiteServer();
  const sites = await Promise.all(HOSTS.map((h) =>
    startSiteServer(bin, `${h}:${PORT}`, [
      "-pages",
      String(PAGES),
      "-delay",
      "250ms",
      "-breadth",
      "20",
      "-fanout",
      "10",
    ])
  ));
  const rows: { workers: number; pages: number; seconds: number }[] = [];
  try {
    for (const n of WORKERS) {
      const r = await runOnce(n);
      console.error(`${n} worker(s): ${r.pages} pages in ${r.seconds.toFixed(1)} s`);
      rows.push({ workers: n, ...r });
    }
  } finally {
    for (const s of sites) s.kill("SIGKILL");
    await Promise.all(sites.map((s) => s.status));
  }
  const one = rows.find((r) => r.workers === 1);
  const base = one ? one.pages / one.seconds : NaN;
  console.log(
    `\nscale-out: 20 hosts x ${PAGES} pages, 250 ms per answer, perHost 10, concurrency 50 per worker, one job\n`,
  );
  console.log("| workers | pages | s | pages/s | ratio to 1 worker | target (0.85 x N) |");
  console.log("|---|---|---|---|---|---|");
  for (const r of rows) {
    const rate = r.pages / r.seconds;
    console.log(
      `| ${r.workers} | ${r.pages} | ${r.seconds.toFixed(1)} | ${rate.toFixed(0)} | ` +
        `${(rate / base).toFixed(2)} | ${(0.85 * r.workers).toFixed(2)} |`,
    );
  }
}
