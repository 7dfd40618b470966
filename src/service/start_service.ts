/**
 * Builds and starts the whole service from its configuration: the store
 * (MongoDB, or in-memory when `MONGODB_URI` is unset), the fetcher (one
 * choice, `makeFetcher`), the job runner and the HTTP server; and stops it cleanly.
 *
 * @example
 * ```ts ignore
 * const svc = await startService(loadConfig(Deno.env.toObject()));
 * await svc.stop();
 * ```
 * @module
 */
import type { ServiceConfig } from "./config.ts";
import type { Store } from "../store/store.ts";
import { MemoryStore } from "../store/memory_store.ts";
import { MongoStore } from "../store/mongo/mongo_store.ts";
import { makeFetcher } from "../net/make_fetcher.ts";
import { type AddressPolicy, parseAllowNets } from "../net/address_policy.ts";
import type { JobRunner } from "./job_runner.ts";
import { composeService } from "./compose_service.ts";
import { createWorkerHandler } from "./worker_routes.ts";
import { ConfigError } from "./config.ts";

/** A running service. */
export interface Service {
  /** The port it listens on. */
  port: number;
  store: Store;
  runner: JobRunner;
  /** Stops taking jobs, checkpoints running ones, ends streams, closes the database. */
  stop(): Promise<void>;
}

/** Settings of {@linkcode startService} beyond the config. */
export interface StartOptions {
  /**
   * `service`: the API, and (unless `RUN_JOBS=false`) working on jobs.
   * `worker`: working on jobs, serving only `/healthz` and `/metrics`; needs
   * `MONGODB_URI`. @default "service"
   */
  role?: "service" | "worker";
  /** Use this store instead of the one the config names. */
  store?: Store;
  /** Where start-up and problem lines go. @default console.error */
  log?: (line: string) => void;
}

/** Starts the service; rejects with a StoreError when the database is unreachable. */
export async function startService(
  config: ServiceConfig,
  options: StartOptions = {},
): Promise<Service> {
  const log = options.log ?? ((l: string) => console.error(l));
  const role = options.role ?? "service";
  if (role === "worker" && !config.mongodbUri && !options.store) {
    throw new ConfigError("A worker needs MONGODB_URI: it works on the jobs of a shared database");
  }
  if (role === "worker" && !config.runJobs) {
    throw new ConfigError("RUN_JOBS=false makes no sense for a worker");
  }
  const store = options.store ??
    (config.mongodbUri ? new MongoStore(config.mongodbUri, config.mongodbDb) : new MemoryStore());
  if (!config.mongodbUri && !options.store) {
    log("WARNING: MONGODB_URI is not set; using the in-memory store. Nothing persists.");
  }
  await store.init(AbortSignal.timeout(15_000));

  let guard: AddressPolicy | null = null;
  if (!config.allowPrivate) {
    guard = {
      allowNets: parseAllowNets(config.allowNets),
      allowedPorts: config.allowedPorts ? new Set(config.allowedPorts) : null,
    };
  } else {
    log("WARNING: CRAWLER_ALLOW_PRIVATE=1: the SSRF guard is off.");
  }
  const fetcher = makeFetcher({ guard });
  const svc = composeService({
    store,
    config,
    fetcher,
    guard,
    owner: `${Deno.hostname()}:${Deno.pid}:${crypto.randomUUID().slice(0, 8)}`,
    log,
  });
  const { runner } = svc;
  const handler = role === "worker"
    ? createWorkerHandler({ store, runner, metrics: svc.metrics, token: config.token })
    : svc.handler;
  const server = Deno.serve({
    port: config.port,
    hostname: config.hostname,
    onListen: () => {},
  }, (req, info) => handler(req, info as { remoteAddr?: { hostname?: string } }));
  if (config.runJobs) runner.start();
  const port = server.addr.port;
  const what = role === "worker" ? "worker" : config.runJobs ? "api and jobs" : "api only";
  log(`skein listening on http://${config.hostname}:${port} (store: ${store.kind}; ${what})`);
  return {
    port,
    store,
    runner,
    async stop() {
      await svc.stop();
      await server.shutdown();
      await fetcher[Symbol.asyncDispose]?.();
      await store.close();
    },
  };
}
