/**
 * The HTTP API of the crawl service as one handler, `(req) => Promise<Response>`,
 * tested in-process: a table of routes (`routes/*.ts`, one file per group),
 * matched in order, with 405 + `Allow` from the table; the bearer-token check;
 * the one place that turns errors into responses; and the security headers
 * every answer carries. The work lives in the
 * store, the job runner and the event follower.
 *
 * @example
 * ```ts ignore
 * const handler = createApp({ store, runner, hub, metrics, config, guard: null });
 * const res = await handler(new Request("http://localhost/healthz"));
 * ```
 * @module
 */
import { StoreError } from "../store/store.ts";
import { hasBearerToken } from "./bearer_token.ts";
import { errorResponse, HttpError } from "./http_error.ts";
import { type ClientInfo, matchRoute, type Route } from "./route.ts";
import { type AppContext, type AppDeps, createStreams, unavailable } from "./routes/context.ts";
import { jobRoutes } from "./routes/job_routes.ts";
import { jobStreamRoutes } from "./routes/job_stream_routes.ts";
import { openApiRoute, serviceRoutes } from "./routes/service_routes.ts";
import { dashboardRoutes } from "./routes/dashboard_routes.ts";
import { withSecurityHeaders } from "./security_headers.ts";

export type { AppDeps } from "./routes/context.ts";
export type { ClientInfo } from "./route.ts";

/** The HTTP handler of the service, and the route table it serves. */
export interface App {
  (req: Request, info?: ClientInfo): Promise<Response>;
  /** Every route, in match order. */
  readonly routes: readonly Route[];
}

/** The route table of an app over `ctx`, `GET /openapi.json` describing all of it included. */
export function appRoutes(ctx: AppContext): Route[] {
  const routes = [
    ...serviceRoutes(ctx),
    ...jobRoutes(ctx),
    ...jobStreamRoutes(ctx),
    ...dashboardRoutes(),
  ];
  routes.push(openApiRoute(() => routes));
  return routes;
}

/** Builds the handler; see the module doc. */
export function createApp(deps: AppDeps): App {
  const ctx: AppContext = {
    ...deps,
    streams: createStreams(deps.config.limits.maxStreams, deps.signal),
  };
  const routes = appRoutes(ctx);
  const token = deps.config.token;

  async function dispatch(req: Request, info?: ClientInfo): Promise<Response> {
    const url = new URL(req.url);
    const match = matchRoute(routes, req.method, url.pathname);
    // A public path (e.g. /healthz) answers 405 without the token, as its GET answers 200.
    const open = match.kind === "found"
      ? !match.route.auth
      : match.kind === "method" && isPublicPath(url.pathname);
    if (token && !open) {
      if (!hasBearerToken(req, token)) {
        throw new HttpError(401, "unauthorized", "Missing or wrong bearer token", "authorization", {
          "www-authenticate": "Bearer",
        });
      }
    }
    if (match.kind === "method") {
      throw new HttpError(
        405,
        "method_not_allowed",
        `Use ${match.allow.join(" or ")}`,
        "method",
        { allow: match.allow.join(", ") },
      );
    }
    if (match.kind === "none") {
      const path = url.pathname.replace(/\/+$/, "") || "/";
      throw new HttpError(404, "not_found", `No route for ${req.method} ${path}`, "path");
    }
    return await match.route.handler({ req, url, params: match.params, info });
  }

  function isPublicPath(pathname: string): boolean {
    return routes.every((r) => {
      const m = matchRoute([r], r.method, pathname);
      return m.kind !== "found" || !r.auth;
    });
  }

  async function handler(req: Request, info?: ClientInfo): Promise<Response> {
    let res: Response;
    try {
      res = await dispatch(req, info);
    } catch (e) {
      let err = e;
      if (e instanceof StoreError) err = unavailable(e);
      else if (!(e instanceof HttpError)) {
        console.error(`unhandled error on ${req.method} ${req.url}:`, e);
      }
      res = errorResponse(err);
    }
    deps.metrics.observeHttp(res.status);
    return withSecurityHeaders(res);
  }
  return Object.assign(handler, { routes });
}
