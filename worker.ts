/**
 * `deno task worker`: a process that works on the crawl jobs of the database
 * at `MONGODB_URI` and serves only `/healthz` and `/metrics` (on `PORT`). Any
 * number of workers and API processes (`deno task start`, with
 * `RUN_JOBS=false` for API only) may share one database; each job is run by
 * one process at a time under a lease, and the jobs are spread over them.
 * SIGTERM or Ctrl-C: fetches in flight finish, what finished is written, the
 * leases are handed back at once, exit 0.
 *
 * @module
 */
import { ConfigError, loadConfig } from "./src/service/config.ts";
import { startService } from "./src/service/start_service.ts";

if (import.meta.main) {
  let service;
  try {
    service = await startService(loadConfig(Deno.env.toObject()), { role: "worker" });
  } catch (e) {
    const what = e instanceof ConfigError ? "bad configuration" : "cannot start";
    console.error(`skein worker: ${what}: ${(e as Error).message}`);
    Deno.exit(1);
  }
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.error("skein worker: stopping (checkpointing running jobs)");
    const force = setTimeout(() => Deno.exit(1), 30_000);
    await service.stop();
    clearTimeout(force);
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
}
