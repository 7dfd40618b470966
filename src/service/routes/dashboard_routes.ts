/**
 * The dashboard: `GET /` and its static files under `/dashboard/`, plain ES
 * modules and one stylesheet from `src/service/dashboard/`, served with the
 * strict policy of `security_headers.ts`. No build step and nothing from a
 * CDN: the files are what the browser runs. They need no token (they hold
 * no data); the page asks for one when the API answers 401.
 *
 * @example
 * ```ts ignore
 * const routes = dashboardRoutes();
 * ```
 * @module
 */
import { HttpError } from "../http_error.ts";
import { DASHBOARD_CSP, withSecurityHeaders } from "../security_headers.ts";
import { type Route, route } from "../route.ts";

const DIR = new URL("../dashboard/", import.meta.url);

/** The files served, by name, with their content type. */
const ASSETS: Record<string, string> = {
  "index.html": "text/html; charset=utf-8",
  "app.css": "text/css; charset=utf-8",
  "favicon.svg": "image/svg+xml",
  "app.js": "text/javascript; charset=utf-8",
  "api.js": "text/javascript; charset=utf-8",
  "dom.js": "text/javascript; charset=utf-8",
  "jobs_view.js": "text/javascript; charset=utf-8",
  "job_view.js": "text/javascript; charset=utf-8",
  "page_table.js": "text/javascript; charset=utf-8",
  "rate_chart.js": "text/javascript; charset=utf-8",
};

/** The dashboard's routes; see the module doc. */
export function dashboardRoutes(): Route[] {
  const cache = new Map<string, Uint8Array<ArrayBuffer>>();
  async function serve(name: string): Promise<Response> {
    const type = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (type === undefined) throw new HttpError(404, "not_found", `No file ${name}`, "path");
    let body = cache.get(name);
    if (!body) {
      body = await Deno.readFile(new URL(name, DIR));
      cache.set(name, body);
    }
    return withSecurityHeaders(
      new Response(body, { headers: { "content-type": type, "cache-control": "no-cache" } }),
      DASHBOARD_CSP,
    );
  }
  return [
    route(
      "GET",
      "/",
      {
        summary: "The dashboard (HTML)",
        responses: { 200: { description: "The dashboard's page", type: "text/html" } },
      },
      () => serve("index.html"),
      { auth: false, head: true },
    ),
    route(
      "GET",
      "/dashboard/:file",
      {
        summary: "The dashboard's scripts and stylesheet",
        responses: {
          200: { description: "A static file", type: "text/javascript" },
          404: { description: "No such file", type: "application/json" },
        },
      },
      ({ params }) => serve(params.file),
      { auth: false, head: true },
    ),
  ];
}
