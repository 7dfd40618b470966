/**
 * `deno task bench:load`: a bounded load test of the service on loopback.
 * Starts the service as its own process (in-memory store, or MongoDB when
 * MONGODB_URI is set), starts a fixture site, posts 20 jobs at once and
 * follows them with 200 concurrent NDJSON clients (10 per job). Checks that
 * every client saw its job's full event stream ending in `done` and that no
 * request failed, and prints the service's peak RSS and the timings.
 *
 * Knobs (env): LOAD_JOBS (20), LOAD_CLIENTS (200), LOAD_PAGES (50 per job),
 * LOAD_LATENCY_MS (200, the fixture pages' delay).
 *
 * @module
 */
import { startFixtureServer } from "../fixtures/server.ts";
import { startServiceProcess } from "../tests/e2e/_service.ts";

const JOBS = Number(Deno.env.get("LOAD_JOBS") ?? 20);
const CLIENTS = Number(Deno.env.get("LOAD_CLIENTS") ?? 200);
const PAGES = Number(Deno.env.get("LOAD_PAGES") ?? 50);
const LATENCY_MS = Number(Deno.env.get("LOAD_LATENCY_MS") ?? 200);

function rssMb(pid: number): { rss: number; hwm: number } {
  const s = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? 0) / 1024;
  return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
}

if (import.meta.main) {
  await using site = startFixtureServer();
  await using svc = await startServiceProcess({
    MONGODB_URI: Deno.env.get("MONGODB_URI") ?? "",
    MONGODB_DB: `skein_load_${Date.now()}`,
    CRAWLER_ALLOW_NETS: "127.0.0.0/8",
    LIMIT_RUNNING_JOBS: String(JOBS),
    LIMIT_STREAMS: String(CLIENTS + 10),
    LIMIT_JOBS_PER_MINUTE: String(JOBS * 2),
  });
  const pid = svc.child.pid;
  const idle = rssMb(pid);
  const t0 = performance.now();
  const errors: string[] = [];
  const ids = await Promise.all(Array.from({ length: JOBS }, async (_, i) => {
    const res = await fetch(`${svc.origin}/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        urls: [`${site.origin}/h/fanout?n=${PAGES}&ms=${LATENCY_MS}&job=${i}`],
        options: { ignoreRobots: true, concurrency: 8, perHost: 8 },
      }),
    });
    if (res.status !== 201) errors.push(`POST ${res.status}`);
    return (await res.json()).id as string;
  }));
  let peak = idle.rss;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid).rss)), 50);
  let openMax = 0;
  let open = 0;
  const results = await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
    const id = ids[c % ids.length];
    const res = await fetch(`${svc.origin}/jobs/${id}/events`);
    if (res.status !== 200) {
      errors.push(`GET events ${res.status}`);
      await res.body?.cancel();
      return 0;
    }
    open++;
    openMax = Math.max(openMax, open);
    const lines = (await res.text()).trim().split("\n").map((l) => JSON.parse(l));
    open--;
    if (lines.at(-1)?.type !== "done") errors.push(`stream of ${id} did not end in done`);
    const pages = lines.filter((l) => l.type === "page").length;
    if (pages !== PAGES + 1) errors.push(`stream of ${id} had ${pages} pages, not ${PAGES + 1}`);
    return lines.length;
  }));
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  const end = rssMb(pid);
  const metrics = await (await fetch(`${svc.origin}/metrics`)).text();
  const fiveXX = /skein_http_responses_total\{class="5xx"\} (\d+)/.exec(metrics)?.[1] ?? "0";
  await svc.stop();
  const events = results.reduce((a, b) => a + b, 0);
  console.log(
    `jobs: ${JOBS} x ${PAGES + 1} pages, clients: ${CLIENTS} (max open at once ${openMax})`,
  );
  console.log(`all done in ${seconds.toFixed(1)} s; ${events} events delivered`);
  console.log(
    `service RSS: idle ${idle.rss.toFixed(0)} MB, peak sampled ${peak.toFixed(0)} MB, high-water ${
      end.hwm.toFixed(0)
    } MB`,
  );
  console.log(`errors: ${errors.length}; 5xx answered by the service: ${fiveXX}`);
  for (const e of errors.slice(0, 10)) console.log("  " + e);
  if (errors.length > 0 || fiveXX !== "0") Deno.exit(1);
}
