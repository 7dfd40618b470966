/**
 * Profiles a command-line crawl in-process and prints where the time went:
 * self time per function and per file (V8's sampling CPU profiler), or with
 * `--heap`, bytes allocated per function (the sampling heap profiler,
 * counting objects already collected too). Deno 2.9 has no `--cpu-prof`, so
 * this starts the profiler through `node:inspector` around `runCli`.
 *
 * ```sh
 * deno run -A --v8-flags=--max-semi-space-size=8,--min-semi-space-size=8 bench/cpu_profile.ts \
 *   --top 15 --out /tmp/crawl.cpuprofile -- --concurrency 64 --per-host 64 --ignore-robots \
 *   --out /dev/null http://127.0.0.1:18080/index.html
 * ```
 *
 * The `.cpuprofile` written by `--out` opens in Chrome's DevTools. Options
 * before `--`: `--top N` (20), `--heap`, `--interval µs` (100, CPU only),
 * `--out FILE`. Everything after `--` goes to `cli.ts`. Issue 14's stop 19
 * in bench/RESULTS.md was measured with it.
 *
 * @module
 */
import { Session } from "node:inspector";
import { parseArgs } from "node:util";
import { runCli } from "../src/cli/run_cli.ts";
import { denoCliIo } from "../src/cli/deno_cli_io.ts";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame }[];
  samples: number[];
  timeDeltas: number[];
}

interface HeapNode {
  callFrame: CallFrame;
  selfSize: number;
  children: HeapNode[];
}

const root = new URL("../", import.meta.url).href;

function nameOf(cf: CallFrame): string {
  const url = cf.url.startsWith(root) ? cf.url.slice(root.length) : cf.url;
  return url === ""
    ? cf.functionName
    : `${cf.functionName || "(anonymous)"} ${url}:${cf.lineNumber + 1}`;
}

function fileOf(cf: CallFrame): string {
  const url = cf.url.startsWith(root) ? cf.url.slice(root.length) : cf.url;
  return url === "" ? cf.functionName : url;
}

function add(m: Map<string, number>, k: string, v: number): void {
  m.set(k, (m.get(k) ?? 0) + v);
}

function print(title: string, m: Map<string, number>, top: number, unit: (v: number) => string) {
  let total = 0;
  for (const v of m.values()) total += v;
  console.log(`\n${title} (total ${unit(total)})`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${unit(v).padStart(10)} ${(100 * v / total).toFixed(1).padStart(5)} %  ${k}`);
  }
}

if (import.meta.main) {
  const dash = Deno.args.indexOf("--");
  const own = dash === -1 ? [] : Deno.args.slice(0, dash);
  const cliArgs = dash === -1 ? Deno.args : Deno.args.slice(dash + 1);
  const { values } = parseArgs({
    args: own,
    options: {
      top: { type: "string", default: "20" },
      heap: { type: "boolean", default: false },
      interval: { type: "string", default: "100" },
      out: { type: "string" },
    },
  });
  const top = Number(values.top);
  const session = new Session();
  session.connect();
  const post = <T>(method: string, params: object = {}) =>
    new Promise<T>((resolve, reject) =>
      session.post(method, params, (e: Error | null, r: unknown) => e ? reject(e) : resolve(r as T))
    );
  if (values.heap) {
    await post("HeapProfiler.enable");
    await post("HeapProfiler.startSampling", {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  } else {
    await post("Profiler.enable");
    await post("Profiler.setSamplingInterval", { interval: Number(values.interval) });
    await post("Profiler.start");
  }
  const code = await runCli(cliArgs, denoCliIo(new AbortController().signal));
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  if (values.heap) {
    const { profile } = await post<{ profile: { head: HeapNode } }>(
      "HeapProfiler.stopSampling",
    );
    if (values.out) Deno.writeTextFileSync(values.out, JSON.stringify(profile));
    const walk = (n: HeapNode) => {
      add(byFunction, nameOf(n.callFrame), n.selfSize);
      add(byFile, fileOf(n.callFrame), n.selfSize);
      n.children.forEach(walk);
    };
    walk(profile.head);
    const mb = (v: number) => `${(v / 1048576).toFixed(1)} MB`;
    print("allocated, by function", byFunction, top, mb);
    print("allocated, by file", byFile, top, mb);
  } else {
    const { profile } = await post<{ profile: CpuProfile }>("Profiler.stop");
    if (values.out) Deno.writeTextFileSync(values.out, JSON.stringify(profile));
    const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
    profile.samples.forEach((id, i) => {
      const us = profile.timeDeltas[i + 1] ?? 0;
      add(byFunction, nameOf(frames.get(id)!), us);
      add(byFile, fileOf(frames.get(id)!), us);
    });
    const ms = (v: number) => `${(v / 1000).toFixed(0)} ms`;
    print("self time, by function", byFunction, top, ms);
    print("self time, by file", byFile, top, ms);
  }
  Deno.exit(code);
}
