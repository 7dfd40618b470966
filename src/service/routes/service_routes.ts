/**
 * The routes about the service itself: `GET /healthz` (no token needed),
 * `GET /metrics` (Prometheus text format) and `GET /openapi.json` (no token
 * needed: the contract is no secret).
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
import { API_VERSION, openApiDocument } from "../openapi.ts";

/** `GET /openapi.json`: the contract of `routes` (read when first asked, then kept). */
export function openApiRoute(routes: () => readonly Route[]): Route {
  let body: string | null = null;
  return route("GET", "/openapi.json", {
    summary: "This API's contract (OpenAPI 3.1)",
    responses: { 200: { description: "The OpenAPI document", type: "application/json" } },
  }, () => {
    body ??= JSON.stringify(openApiDocument(routes(), { version: API_VERSION }));
    return Promise.resolve(
      new Response(body, {
        headers: {
          "content-type": "application/json; charset=utf-8",
          "access-control-allow-origin": "*",
        },
      }),
    );
  }, { auth: false, head: true });
}

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
