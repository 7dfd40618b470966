/**
 * The life of a service process (`main.ts`, `worker.ts`): reads the
 * settings from the environment, starts the service, and on SIGTERM or
 * Ctrl-C stops it cleanly (no new jobs, running jobs checkpointed, database
 * closed) and exits 0; a bad setting or an unreachable database at start-up
 * is one line on stderr and exit 1. A stop that takes over 30 s exits 1.
 *
 * @example
 * ```ts ignore
 * import { runServiceProcess } from "./run_service_process.ts";
 * if (import.meta.main) await runServiceProcess("skein worker", { role: "worker" });
 * ```
 * @module
 */
import { ConfigError, loadConfig } from "./config.ts";
import { type StartOptions, startService } from "./start_service.ts";

/** Longest a clean stop may take before the process exits anyway. */
const FORCE_EXIT_MS = 30_000;

/** Runs the service until a signal stops it; `name` starts every line it prints. */
export async function runServiceProcess(name: string, options: StartOptions = {}): Promise<void> {
  let service;
  try {
    service = await startService(loadConfig(Deno.env.toObject()), options);
  } catch (e) {
    const what = e instanceof ConfigError ? "bad configuration" : "cannot start";
    console.error(`${name}: ${what}: ${(e as Error).message}`);
    Deno.exit(1);
  }
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.error(`${name}: stopping (checkpointing running jobs)`);
    const force = setTimeout(() => Deno.exit(1), FORCE_EXIT_MS);
    await service.stop();
    clearTimeout(force);
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
}
