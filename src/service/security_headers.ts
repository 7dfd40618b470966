/**
 * The security headers of every answer. The dashboard renders text that
 * comes from crawled sites (titles, URLs, error messages), so its pages get
 * a strict Content-Security-Policy: scripts, styles and connections only
 * from this origin, no inline script or style element, no framing. API
 * answers get a policy that allows nothing, should one be opened directly.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DASHBOARD_CSP, withSecurityHeaders } from "./security_headers.ts";
 * const res = withSecurityHeaders(new Response("<p>hi</p>", { headers: { "content-type": "text/html" } }), DASHBOARD_CSP);
 * assert.equal(res.headers.get("x-content-type-options"), "nosniff");
 * assert.match(res.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/);
 * ```
 * @module
 */

/** The policy of the dashboard's HTML, scripts and styles. */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** The policy of API answers: nothing may load or run, nothing may frame them. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/** Sets the security headers `res` does not have yet, and returns it. */
export function withSecurityHeaders(res: Response, csp: string = API_CSP): Response {
  const set = (name: string, value: string) => {
    if (!res.headers.has(name)) res.headers.set(name, value);
  };
  set("content-security-policy", csp);
  set("x-content-type-options", "nosniff");
  set("x-frame-options", "DENY");
  set("referrer-policy", "no-referrer");
  return res;
}
