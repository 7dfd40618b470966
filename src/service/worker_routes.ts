/**
 * The HTTP surface of a worker process (`deno task worker`): `/healthz` and
 * `/metrics` only, the same answers as the API's routes of those names; every
 * other path is 404. With `CRAWLER_TOKEN` set, `/metrics` needs the bearer
 * token, as on the API.
 *
 * @example
 * ```ts ignore
 * const handler = createWorkerHandler({ store, runner, metrics, token: null });
 * const res = await handler(new Request("http://localhost/healthz"));
 * ```
 * @module
 */
import { hasBearerToken } from "./bearer_token.ts";
import type { Store } from "../store/store.ts";
import type { JobRunner } from "./job_runner.ts";
import type { Metrics } from "./metrics.ts";

/** What {@linkcode createWorkerHandler} needs. */
export interface WorkerRouteDeps {
  store: Store;
  runner: JobRunner;
  metrics: Metrics;
  /** The bearer token `/metrics` needs, or `null`. */
  token: string | null;
}

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

function error(status: number, code: string, message: string, headers = {}): Response {
  return json({ error: { code, message } }, status, headers);
}

/** The worker's request handler; see the module doc. */
export function createWorkerHandler(deps: WorkerRouteDeps): (req: Request) => Promise<Response> {
  const { store, runner, metrics, token } = deps;
  return async function workerRoutes(req: Request): Promise<Response> {
    const path = new URL(req.url).pathname.replace(/\/+$/, "") || "/";
    if (path !== "/healthz" && path !== "/metrics") {
      return error(
        404,
        "not_found",
        `No route ${path} on a worker (it serves /healthz and /metrics)`,
      );
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      return error(405, "method_not_allowed", `${req.method} is not allowed here`, {
        allow: "GET",
      });
    }
    if (path === "/healthz") {
      try {
        await store.ping(AbortSignal.timeout(2000));
        return json({ status: "ok", store: store.kind, role: "worker" });
      } catch (e) {
        return json({ status: "unavailable", store: store.kind, error: (e as Error).message }, 503);
      }
    }
    if (token !== null && !hasBearerToken(req, token)) {
      return error(401, "unauthorized", "Missing or wrong bearer token", {
        "www-authenticate": "Bearer",
      });
    }
    const jobs = await store.countJobs().catch(() => ({}));
    return new Response(
      metrics.render({
        jobs,
        inFlight: runner.inFlight,
        queuedUrls: runner.queuedUrls,
        streams: 0,
      }),
      {
        headers: { "content-type": "text/plain; version=0.0.4" },
      },
    );
  };
}
