/**
 * The same-runtime ceiling for issue "Faster than the crawlers people use
 * today": a bare loop of Deno `fetch` over every page of the generated site
 * (URLs known up front, bodies read and dropped, no parsing), concurrency 64.
 * Prints pages/s and peak RSS; compare with `deno task crawl` on the same
 * site.
 *
 * `deno run -A bench/fetch_only.ts ORIGIN PAGES [CONCURRENCY]`
 *
 * @module
 */
import { pagePath } from "./gen_site.ts";

if (import.meta.main) {
  const [origin, pagesArg, concArg] = Deno.args;
  if (!origin || !pagesArg) {
    console.error("usage: fetch_only.ts ORIGIN PAGES [CONCURRENCY]");
    Deno.exit(2);
  }
  const pages = Number(pagesArg);
  const concurrency = Number(concArg ?? 64);
  const urls = Array.from({ length: pages }, (_, i) => origin + pagePath(i));
  let next = 0;
  let bytes = 0;
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, Deno.memoryUsage().rss)), 20);
  const t0 = performance.now();
  const worker = async () => {
    while (next < urls.length) {
      const res = await fetch(urls[next++]);
      for await (const chunk of res.body!) bytes += chunk.byteLength;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const s = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  console.log(
    `fetch only: ${pages} pages in ${s.toFixed(2)} s = ${(pages / s).toFixed(0)} pages/s, ${
      (bytes / 1e6 / s).toFixed(1)
    } MB/s, peak RSS ${(Math.max(peak, Deno.memoryUsage().rss) / 1e6).toFixed(0)} MB`,
  );
}
