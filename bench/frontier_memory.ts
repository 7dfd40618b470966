/**
 * Memory per known URL of the engine's frontier: queues N URLs (default
 * 1,000,000 and 5,000,000) of the form `http://127.0.0.1:18081/p/<i>.html`,
 * 1,000 per parent page as a wide crawl finds them, into a `Frontier` and
 * prints heap bytes per URL and the process's RSS. Run with
 * `deno run --v8-flags=--max-old-space-size=4096,--expose-gc bench/frontier_memory.ts [N...]`.
 *
 * @module
 */
import { Frontier } from "../src/crawl/frontier.ts";

const sizes = Deno.args.length > 0 ? Deno.args.map(Number) : [1_000_000, 5_000_000];
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

console.log("| known URLs | heap MB | bytes per URL | RSS MB |");
console.log("|---|---|---|---|");
for (const n of sizes) {
  gc();
  const before = Deno.memoryUsage().heapUsed;
  let frontier: Frontier | null = new Frontier({ perHost: 8, delayMs: 0, maxPages: n });
  let parent = "http://127.0.0.1:18081/index.html";
  for (let i = 0; i < n; i++) {
    if (i % 1000 === 0) parent = `http://127.0.0.1:18081/p/${i / 1000}.html`;
    frontier.add({ url: `http://127.0.0.1:18081/p/${i}.html`, depth: 3, parent });
  }
  gc();
  const used = Deno.memoryUsage().heapUsed - before;
  console.log(
    `| ${n.toLocaleString("en")} | ${(used / 2 ** 20).toFixed(0)} | ${(used / n).toFixed(0)} | ` +
      `${(Deno.memoryUsage().rss / 2 ** 20).toFixed(0)} |`,
  );
  if (frontier.pending !== n) throw new Error(`queued ${frontier.pending} of ${n}`);
  frontier = null;
}
