// Usage: deno run -A parse_cpu.ts <tree>  — CPU ms per MB of link extraction (+meta in new trees)
import process from "node:process";
const tree = Deno.args[0];
const { extractPage } = await import(`${tree}/src/html/extract_page.ts`);
const dir = "/work/main/bench/out/site-5000";
const pages: string[] = [];
let bytes = 0;
async function walk(d: string): Promise<void> {
  for await (const e of Deno.readDir(d)) {
    if (pages.length >= 2000) return;
    if (e.isDirectory) await walk(`${d}/${e.name}`);
    else if (e.name.endsWith(".html")) {
      const t = await Deno.readTextFile(`${d}/${e.name}`);
      pages.push(t);
      bytes += t.length;
    }
  }
}
await walk(dir);
async function* one(t: string) {
  for (let i = 0; i < t.length; i += 16384) yield t.slice(i, i + 16384);
}
// warm up
for (const p of pages.slice(0, 300)) await extractPage(one(p), "http://a.test/x/");
const results: number[] = [];
for (let r = 0; r < 5; r++) {
  const c0 = process.cpuUsage();
  for (const p of pages) await extractPage(one(p), "http://a.test/x/");
  const c = process.cpuUsage(c0);
  results.push((c.user + c.system) / 1000 / (bytes / 1e6));
}
results.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    tree,
    cpuMsPerMB: results[2],
    mbPerCpuSecond: 1000 / results[2],
    all: results.map((x) => +x.toFixed(2)),
  }),
);
