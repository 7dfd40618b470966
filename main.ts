/**
 * `deno task start`: the crawl service. Settings come from the environment
 * (see the README's table). SIGTERM or Ctrl-C stops it cleanly: no new jobs,
 * running jobs checkpointed for a later resume, database closed, exit 0.
 *
 * @module
 */
import { runServiceProcess } from "./src/service/run_service_process.ts";

if (import.meta.main) await runServiceProcess("skein");
