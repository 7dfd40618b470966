/**
 * The real I/O of the CLI: Deno's stdio and files.
 *
 * @example
 * ```ts ignore
 * import { denoCliIo } from "./deno_cli_io.ts";
 * const io = denoCliIo(new AbortController().signal);
 * ```
 * @module
 */
import type { CliIo } from "./run_cli.ts";
import { makeCliFetcher } from "./make_cli_fetcher.ts";
import { getHeapStatistics } from "node:v8";

/** CliIo bound to the process. */
export function denoCliIo(signal: AbortSignal): CliIo {
  const enc = new TextEncoder();
  return {
    stdout: Deno.stdout.writable,
    stderr: (text) => {
      try {
        Deno.stderr.writeSync(enc.encode(text));
      } catch {
        // stderr closed: nothing useful left to do
      }
    },
    stderrIsTerminal: Deno.stderr.isTerminal(),
    readStdin: () => new Response(Deno.stdin.readable).text(),
    readFile: (p) => Deno.readTextFile(p),
    openOut: async (p) =>
      (await Deno.open(p, { write: true, create: true, truncate: true })).writable,
    signal,
    makeFetcher: makeCliFetcher,
    // Three quarters of V8's heap limit: room left for pages in flight.
    heapLimitBytes: Math.floor(getHeapStatistics().heap_size_limit * 0.75),
    trace: Deno.env.get("SKEIN_TRACE") === "1",
  };
}
