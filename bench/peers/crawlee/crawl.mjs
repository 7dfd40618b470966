// Crawlee CheerioCrawler peer for the skein side-by-side benchmark.
//
// usage: node crawl.mjs [--concurrency 64] START_URL
//
// Storage is in memory only (persistStorage false, purged on start), links are
// enqueued with enqueueLinks({ strategy: "same-origin" }), nothing is pushed to
// a dataset, retries are off. Prints {"pages":N,...} on stdout when done.
import { CheerioCrawler, Configuration, log, LogLevel } from "@crawlee/cheerio";

const args = process.argv.slice(2);
let concurrency = 64;
let start;
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--concurrency") concurrency = Number(args[++i]);
  else start = args[i];
}
if (!start || !(concurrency > 0)) {
  console.error("usage: node crawl.mjs [--concurrency 64] START_URL");
  process.exit(2);
}

log.setLevel(process.env.CRAWLEE_BENCH_DEBUG ? LogLevel.INFO : LogLevel.WARNING);

const config = new Configuration({
  persistStorage: false,
  purgeOnStart: true,
  // Crawlee scales down when it thinks the machine is overloaded; give it
  // all the memory so only the concurrency limits apply.
  memoryMbytes: 8192,
});

let pages = 0;
const t0 = performance.now();
const crawler = new CheerioCrawler(
  {
    minConcurrency: concurrency,
    maxConcurrency: concurrency,
    maxRequestsPerCrawl: 10_000_000,
    maxRequestRetries: 0,
    // HttpCrawler's default pool options set desiredConcurrency: 10, which
    // takes precedence over minConcurrency, so the pool would start at 10 and
    // grow by 5% every 10 s. Start at the target instead; the rest are
    // HttpCrawler's own defaults (HTTP_OPTIMIZED_AUTOSCALED_POOL_OPTIONS).
    autoscaledPoolOptions: {
      desiredConcurrency: concurrency,
      snapshotterOptions: { eventLoopSnapshotIntervalSecs: 2, maxBlockedMillis: 100 },
      systemStatusOptions: { maxEventLoopOverloadedRatio: 0.7 },
    },
    requestHandlerTimeoutSecs: 60,
    navigationTimeoutSecs: 30,
    async requestHandler({ enqueueLinks }) {
      pages++;
      await enqueueLinks({ strategy: "same-origin" });
    },
    failedRequestHandler({ request }) {
      console.error(`failed: ${request.url}`);
    },
  },
  config,
);

const stats = await crawler.run([start]);
console.log(JSON.stringify({
  pages,
  finished: stats.requestsFinished,
  failed: stats.requestsFailed,
  secs: (performance.now() - t0) / 1000,
}));
