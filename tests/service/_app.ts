import { type ComposedService, composeService } from "../../src/service/compose_service.ts";
import { loadConfig, type ServiceConfig } from "../../src/service/config.ts";
import { MemoryStore } from "../../src/store/memory_store.ts";
import type { Store } from "../../src/store/store.ts";
import { createPinnedFetcher } from "../../src/net/pinned_fetcher.ts";
import { parseAllowNets } from "../../src/net/address_policy.ts";
import type { Fetcher } from "../../src/net/fetcher.ts";
import type { Resolver } from "../../src/net/resolver.ts";

/** Parts a test may replace (e.g. to make sure nothing leaves the machine). */
export interface TestAppParts {
  store?: Store;
  fetcher?: Fetcher;
  resolve?: Resolver;
}

/** An in-process service: the handler plus what it runs on. */
export interface TestApp extends AsyncDisposable {
  handler: ComposedService["handler"];
  store: Store;
  runner: ComposedService["runner"];
  config: ServiceConfig;
  /** From now on new jobs get 503 `shutting_down` (what SIGTERM does first). */
  drain(): void;
  /** A request to the handler; JSON bodies are serialized. */
  call(
    method: string,
    path: string,
    init?: { json?: unknown; body?: string; headers?: Record<string, string> },
  ): Promise<Response>;
}

/** Starts the service's parts in-process with a loopback-only allow-list. */
export function startTestApp(
  env: Record<string, string> = {},
  parts: TestAppParts = {},
): TestApp {
  const store = parts.store ?? new MemoryStore();
  const config = loadConfig({ CRAWLER_ALLOW_NETS: "127.0.0.0/8", JOB_POLL_MS: "50", ...env });
  const policy = {
    allowNets: parseAllowNets(config.allowNets),
    allowedPorts: config.allowedPorts ? new Set(config.allowedPorts) : null,
  };
  const guard = config.allowPrivate ? null : policy;
  const guarded = createPinnedFetcher(policy);
  const fetcher = parts.fetcher ?? guarded;
  const svc = composeService({
    store,
    config,
    fetcher,
    guard,
    owner: "test",
    resolve: parts.resolve,
    flushMs: 20,
    log: () => {},
  });
  const { handler, runner } = svc;
  runner.start();
  return {
    handler,
    store,
    runner,
    config,
    drain: () => svc.drain(),
    call(method, path, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      let body = init.body;
      if (init.json !== undefined) {
        body = JSON.stringify(init.json);
        headers["content-type"] ??= "application/json";
      }
      return handler(new Request(`http://skein.test${path}`, { method, body, headers }));
    },
    async [Symbol.asyncDispose]() {
      await svc.stop();
      guarded.close();
      await store.close();
    },
  };
}

/** Reads an NDJSON response to the end. */
export async function ndjson<T = Record<string, unknown>>(res: Response): Promise<T[]> {
  const text = await res.text();
  return text.trim() === "" ? [] : text.trim().split("\n").map((l) => JSON.parse(l));
}
