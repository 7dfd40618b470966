/**
 * Memory of the service with a large frontier (issue 11): a Go site whose
 * pages have 1,000 new links each, one job on MONGODB_URI with `maxPages`
 * BENCH_FRONTIER_URLS (1,200,000) so the frontier grows by 1,000 URLs a
 * fetched page; once BENCH_FRONTIER_PAGES (1,164) pages are fetched (a
 * frontier of about 1.16 million URLs) the job is cancelled. Prints the
 * service process's peak RSS and the known URLs at that point.
 *
 * `MONGODB_URI=... deno run -A bench/service_frontier.ts`
 *
 * @module
 */
import { MongoClient } from "mongodb";
import { buildSiteServer, peakRssMb, startService, startSiteServer } from "./service.ts";

const URLS = Number(Deno.env.get("BENCH_FRONTIER_URLS") ?? 1_200_000);
const PAGES = Number(Deno.env.get("BENCH_FRONTIER_PAGES") ?? 1_164);
const MONGODB_URI = Deno.env.get("MONGODB_URI") ?? "";

if (import.meta.main) {
  if (!MONGODB_URI) throw new Error("MONGODB_URI is needed");
  const bin = await buildSiteServer();
  const addr = "127.0.0.1:18851";
  const site = await startSiteServer(bin, addr, [
    "-pages",
    String(URLS * 2),
    "-delay",
    "0s",
    "-breadth",
    "1000",
    "-fanout",
    "1000",
  ]);
  const db = `bench_frontier_${Date.now()}`;
  const svc = await startService({
    MONGODB_URI,
    MONGODB_DB: db,
    LIMIT_MAX_PAGES: String(URLS * 2),
  });
  const origin = `http://127.0.0.1:${svc.port}`;
  try {
    const res = await fetch(`${origin}/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        urls: [`http://${addr}/index.html`],
        options: { maxPages: URLS, maxDepth: 5, concurrency: 16, perHost: 16, ignoreRobots: true },
      }),
    });
    const { id } = await res.json();
    const t0 = Date.now();
    let pages = 0;
    while (pages < PAGES) {
      if (Date.now() - t0 > 30 * 60_000) throw new Error(`only ${pages} pages in 30 min`);
      await new Promise((r) => setTimeout(r, 2000));
      const job = await (await fetch(`${origin}/jobs/${id}`)).json();
      pages = job.counters.pages;
      console.error(
        `${((Date.now() - t0) / 1000).toFixed(0)} s: ${pages} pages stored, peak RSS ${
          (await peakRssMb(svc.child.pid)).toFixed(0)
        } MB`,
      );
    }
    const peak = await peakRssMb(svc.child.pid);
    await (await fetch(`${origin}/jobs/${id}`, { method: "DELETE" })).body?.cancel();
    const client = new MongoClient(MONGODB_URI);
    const known = await client.db(db).collection("frontier").countDocuments({});
    await client.db(db).dropDatabase();
    await client.close();
    console.log(
      `| frontier stored | pages stored | service peak RSS |\n|---|---|---|\n| ${known} | ${pages} | ${
        peak.toFixed(0)
      } MB |`,
    );
  } finally {
    svc.child.kill("SIGKILL");
    await svc.child.status;
    site.kill("SIGKILL");
    await site.status;
  }
}
