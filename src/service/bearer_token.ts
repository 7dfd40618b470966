/**
 * The bearer-token check of the service and the worker: `Authorization:
 * Bearer <token>`, compared in constant time, so a wrong token's timing says
 * nothing about the right one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hasBearerToken } from "./bearer_token.ts";
 * const req = new Request("http://x/", { headers: { authorization: "Bearer s3cret" } });
 * assert.equal(hasBearerToken(req, "s3cret"), true);
 * assert.equal(hasBearerToken(req, "other"), false);
 * ```
 * @module
 */
import { timingSafeEqual } from "node:crypto";

/** Whether `req` carries `Authorization: Bearer <token>`. */
export function hasBearerToken(req: Request, token: string): boolean {
  const x = new TextEncoder().encode(req.headers.get("authorization") ?? "");
  const y = new TextEncoder().encode(`Bearer ${token}`);
  return x.length === y.length && timingSafeEqual(x, y);
}
