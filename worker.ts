/**
 * `deno task worker`: a process that works on the crawl jobs of the database
 * at `MONGODB_URI` and serves only `/healthz` and `/metrics` (on `PORT`). Any
 * number of workers and API processes (`deno task start`, with
 * `RUN_JOBS=false` for API only) may share one database; every worker works
 * on every running job at once, each on the hosts it leases (see
 * `src/service/shared_job.ts`).
 * SIGTERM or Ctrl-C: fetches in flight finish, what finished is written, the
 * leases are handed back at once, exit 0.
 *
 * @module
 */
import { runServiceProcess } from "./src/service/run_service_process.ts";

if (import.meta.main) await runServiceProcess("skein worker", { role: "worker" });
