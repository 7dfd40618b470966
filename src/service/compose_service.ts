/**
 * Wires the parts of the service that do not touch the socket: job runner,
 * hub, metrics and the HTTP handler, over a given store and fetcher. Used by
 * `startService` (with `Deno.serve` around it) and by the in-process tests,
 * so both run the same assembly.
 *
 * @example
 * ```ts ignore
 * const svc = composeService({ store, config, fetcher, guard, owner: "p1" });
 * svc.runner.start();
 * const res = await svc.handler(new Request("http://x/healthz"));
 * await svc.stop();
 * ```
 * @module
 */
import type { Store } from "../store/store.ts";
import type { Fetcher } from "../net/fetcher.ts";
import type { AddressPolicy } from "../net/address_policy.ts";
import type { Resolver } from "../net/resolver.ts";
import type { ServiceConfig } from "./config.ts";
import { JobRunner } from "./job_runner.ts";
import { JobHub } from "./job_hub.ts";
import { Metrics } from "./metrics.ts";
import { type App, createApp } from "./app.ts";
import { getHeapStatistics } from "node:v8";

/** What {@linkcode composeService} needs. */
export interface ServiceParts {
  store: Store;
  config: ServiceConfig;
  fetcher: Fetcher;
  /** The SSRF policy for seeds; `null` when the guard is off. */
  guard: AddressPolicy | null;
  /** This process's name in job leases. */
  owner: string;
  /** How seed host names are resolved for the SSRF check. @default systemResolver */
  resolve?: Resolver;
  /** Longest a finished event waits before it is written. @default 100 */
  flushMs?: number;
  /** Where problems are reported. @default console.error */
  log?: (line: string) => void;
}

/** The composed service. */
export interface ComposedService {
  handler: App;
  runner: JobRunner;
  hub: JobHub;
  metrics: Metrics;
  /** New jobs get 503 `shutting_down` from now on (the first step of {@linkcode stop}). */
  drain(): void;
  /** Stops the runner (checkpointing jobs) and ends open streams. The store stays open. */
  stop(): Promise<void>;
}

/** See the module doc. */
export function composeService(parts: ServiceParts): ComposedService {
  const { store, config } = parts;
  const hub = new JobHub();
  const metrics = new Metrics();
  const runner = new JobRunner(store, {
    owner: parts.owner,
    leaseMs: config.leaseMs,
    pollMs: config.pollMs,
    maxRunning: config.limits.maxRunningJobs,
    fetcher: parts.fetcher,
    hub,
    metrics,
    flushMs: parts.flushMs,
    // Three quarters of V8's heap limit: a huge job ends `memory_limit`, the process lives.
    heapLimitBytes: Math.floor(getHeapStatistics().heap_size_limit * 0.75),
    log: parts.log,
    // One process per job in memory (nothing else can share it); every worker on every job otherwise.
    shared: config.sharedJobs ?? store.kind !== "memory",
  });
  let draining = false;
  const streams = new AbortController();
  const handler = createApp({
    store,
    runner,
    hub,
    metrics,
    config,
    guard: parts.guard,
    resolve: parts.resolve,
    draining: () => draining,
    signal: streams.signal,
  });
  return {
    handler,
    runner,
    hub,
    metrics,
    drain() {
      draining = true;
    },
    async stop() {
      draining = true;
      await runner.stop();
      streams.abort();
      hub.close();
    },
  };
}
