/**
 * A route of the HTTP API as data: method, path pattern, handler, and the
 * schemas the OpenAPI document is generated from. {@linkcode matchRoute} finds
 * the route for a request, or the methods the path allows (for 405 + Allow).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { matchRoute, route } from "./route.ts";
 * const ok = () => Promise.resolve(new Response("ok"));
 * const routes = [
 *   route("GET", "/jobs/:id", { summary: "A job", responses: {} }, ok),
 *   route("DELETE", "/jobs/:id", { summary: "Cancel it", responses: {} }, ok),
 * ];
 * const m = matchRoute(routes, "GET", "/jobs/abc");
 * assert.equal(m.kind === "found" && m.params.id, "abc");
 * assert.deepEqual(matchRoute(routes, "PUT", "/jobs/abc"), { kind: "method", allow: ["GET", "DELETE"] });
 * assert.deepEqual(matchRoute(routes, "GET", "/nope"), { kind: "none" });
 * ```
 * @module
 */
import type { z } from "zod";

/** Connection info Deno.serve passes to handlers. */
export interface ClientInfo {
  /** The peer; its hostname keys the per-client rate limit when there is no token. */
  remoteAddr?: { hostname?: string };
}

/** What a handler gets. */
export interface RouteRequest {
  /** The request as received. */
  req: Request;
  /** `req.url`, parsed once. */
  url: URL;
  /** Path parameters, percent-decoded (e.g. `id` of `/jobs/:id`). */
  params: Record<string, string>;
  /** Connection info, when served by Deno.serve. */
  info?: ClientInfo;
}

/** A handler of one route. */
export type RouteHandler = (r: RouteRequest) => Promise<Response>;

/** One documented response of a route. */
export interface ResponseDoc {
  /** One line saying what the answer is. */
  description: string;
  /** The body's media type. @default "application/json" */
  type?: string;
  /** The body's schema (one line's schema for NDJSON); none for a body-less or free-form answer. */
  schema?: z.ZodType;
  /** Response headers worth documenting, by name, with their description. */
  headers?: Record<string, string>;
}

/** What the OpenAPI document says about a route. */
export interface RouteDoc {
  /** One line saying what the route does. */
  summary: string;
  /** More, when one line is not enough (Markdown). */
  description?: string;
  /** Path parameters; the keys must match the `:name`s of the path. */
  params?: z.ZodObject;
  /** Query parameters. */
  query?: z.ZodObject;
  /** Request bodies by media type. */
  body?: Record<string, z.ZodType>;
  /** Responses by status; the common error answers are added by `openapi.ts`. */
  responses: Record<number, ResponseDoc>;
  /**
   * Error statuses this route answers beyond those `openapi.ts` adds from the
   * rest of the doc (400 with a query or body, 404 with path parameters, 401
   * with auth, 500). A route that reads the database lists 503.
   */
  errors?: number[];
}

/** A route: see the module doc. */
export interface Route {
  /** `GET`, `POST`, `DELETE`... */
  method: string;
  /** The path with `:name` parameters, e.g. `/jobs/:id/events`. */
  path: string;
  /** `path` compiled; matches the path part of a URL. */
  pattern: URLPattern;
  /** False for routes that answer without the bearer token (`/healthz`, the dashboard). */
  auth: boolean;
  /** Whether `HEAD` is served by this `GET` route. */
  head: boolean;
  /** What the OpenAPI document says about it. */
  doc: RouteDoc;
  /** Answers the request; throws `HttpError` for refusals. */
  handler: RouteHandler;
}

/** Settings of {@linkcode route}. */
export interface RouteOptions {
  /** Whether the bearer token (when set) is needed. @default true */
  auth?: boolean;
  /** Whether `HEAD` is served too (a `GET` route whose answer is cheap and finite). @default false */
  head?: boolean;
}

/** A route from its parts; see the module doc. */
export function route(
  method: string,
  path: string,
  doc: RouteDoc,
  handler: RouteHandler,
  options: RouteOptions = {},
): Route {
  return {
    method,
    path,
    pattern: new URLPattern({ pathname: path }),
    auth: options.auth ?? true,
    head: options.head ?? false,
    doc,
    handler,
  };
}

/** The result of {@linkcode matchRoute}. */
export type RouteMatch =
  | { kind: "found"; route: Route; params: Record<string, string> }
  | { kind: "method"; allow: string[] }
  | { kind: "none" };

/**
 * The route for `method` and `pathname` (trailing slashes ignored), the
 * methods the path allows when none has this method, or nothing. A `HEAD`
 * request is served by a `GET` route made with `head: true`. A parameter that is not valid
 * percent-encoding makes the path match nothing.
 */
export function matchRoute(routes: readonly Route[], method: string, pathname: string): RouteMatch {
  const path = pathname.replace(/\/+$/, "") || "/";
  const allow: string[] = [];
  for (const r of routes) {
    const m = r.pattern.exec({ pathname: path });
    if (!m) continue;
    if (r.method === method || (method === "HEAD" && r.method === "GET" && r.head)) {
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(m.pathname.groups)) {
        if (v === undefined) continue;
        try {
          params[k] = decodeURIComponent(v);
        } catch {
          return { kind: "none" };
        }
      }
      return { kind: "found", route: r, params };
    }
    if (!allow.includes(r.method)) allow.push(r.method);
  }
  return allow.length > 0 ? { kind: "method", allow } : { kind: "none" };
}
