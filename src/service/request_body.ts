/**
 * Reads a request body as text, refusing more than a cap with a 413 before
 * buffering it, whatever `content-length` claims.
 *
 * @example
 * ```ts
 * import { readRequestText } from "./request_body.ts";
 * const text = await readRequestText(new Request("http://x/", { method: "POST", body: "hi" }), 10);
 * // text === "hi"
 * ```
 * @module
 */
import { HttpError } from "./http_error.ts";
import { readPrefix } from "../streams/read_prefix.ts";

function tooLarge(max: number): HttpError {
  return new HttpError(
    413,
    "body_too_large",
    `Request body exceeds the limit of ${max} bytes (LIMIT_BODY_BYTES)`,
    "body",
  );
}

/** The body as UTF-8 text; throws HttpError 413 past `maxBytes`, 400 when not UTF-8. */
export async function readRequestText(req: Request, maxBytes: number): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (!req.body) return "";
  const { bytes, truncated } = await readPrefix(req.body, maxBytes);
  if (truncated) throw tooLarge(maxBytes);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, "invalid_body", "Request body is not valid UTF-8", "body");
  }
}
