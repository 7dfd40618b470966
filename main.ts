/**
 * `deno task start`: the crawl service. Settings come from the environment
 * (see the README's table). SIGTERM or Ctrl-C stops it cleanly: no new jobs,
 * running jobs checkpointed for a later resume, database closed, exit 0.
 *
 * @module
 */
import { ConfigError, loadConfig } from "./src/service/config.ts";
import { startService } from "./src/service/start_service.ts";

if (import.meta.main) {
  let service;
  try {
    service = await startService(loadConfig(Deno.env.toObject()));
  } catch (e) {
    const what = e instanceof ConfigError ? "bad configuration" : "cannot start";
    console.error(`skein: ${what}: ${(e as Error).message}`);
    Deno.exit(1);
  }
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.error("skein: stopping (checkpointing running jobs)");
    const force = setTimeout(() => Deno.exit(1), 30_000);
    await service.stop();
    clearTimeout(force);
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
}
