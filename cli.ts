/**
 * `deno task crawl [options] <url...>`: crawl from the command line, NDJSON
 * to stdout. See `deno task crawl --help`.
 *
 * @module
 */
import { runCli } from "./src/cli/run_cli.ts";
import { denoCliIo } from "./src/cli/deno_cli_io.ts";
import { interruptHandler } from "./src/cli/interrupt_handler.ts";

if (import.meta.main) {
  const ac = new AbortController();
  const onSigint = interruptHandler(ac);
  Deno.addSignalListener("SIGINT", onSigint);
  const code = await runCli(Deno.args, denoCliIo(ac.signal));
  Deno.removeSignalListener("SIGINT", onSigint);
  Deno.exit(code);
}
