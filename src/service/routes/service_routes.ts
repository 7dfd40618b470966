/**
 * The routes about the service itself: `GET /healthz` (no token needed) and
 * `GET /metrics` (Prometheus text format).
 *
 * @example
 * ```ts ignore
 * const routes = serviceRoutes(ctx); // ctx: an AppContext
 * ```
 * @module
 */
import { json } from "../http_error.ts";
import { HEALTH } from "../api_schemas.ts";
import { type Route, route } from "../route.ts";
import type { AppContext } from "./context.ts";

/** The service's own routes; see the module doc. */
export function serviceRoutes(ctx: AppContext): Route[] {
  const { store, metrics, runner } = ctx;
  return [
    route("GET", "/healthz", {
      summary: "Liveness and database reachability",
      responses: {
        200: { description: "The service and its database answer", schema: HEALTH },
        503: { description: "The database does not answer", schema: HEALTH },
      },
    }, async () => {
      try {
        await store.ping(AbortSignal.timeout(2000));
        return json({ status: "ok", store: store.kind });
      } catch (e) {
        return json({ status: "unavailable", store: store.kind, error: (e as Error).message }, 503);
      }
    }, { auth: false, head: true }),
    route("GET", "/metrics", {
      summary: "Prometheus metrics",
      responses: { 200: { description: "Text exposition format 0.0.4", type: "text/plain" } },
    }, async () => {
      const jobs = await store.countJobs().catch(() => ({}));
      return new Response(
        metrics.render({
          jobs,
          inFlight: runner.inFlight,
          queuedUrls: runner.queuedUrls,
          streams: ctx.streams.open,
        }),
        { headers: { "content-type": "text/plain; version=0.0.4" } },
      );
    }),
  ];
}
