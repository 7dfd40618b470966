/**
 * `deno task crawl [options] <url...>`: crawl from the command line, NDJSON
 * to stdout. See `deno task crawl --help`.
 *
 * @module
 */
import { runCli } from "./src/cli/run_cli.ts";
import { denoCliIo } from "./src/cli/deno_cli_io.ts";

if (import.meta.main) {
  const ac = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) Deno.exit(130);
    ac.abort(new DOMException("Interrupted", "AbortError"));
  };
  Deno.addSignalListener("SIGINT", onSigint);
  const code = await runCli(Deno.args, denoCliIo(ac.signal));
  Deno.removeSignalListener("SIGINT", onSigint);
  Deno.exit(code);
}
