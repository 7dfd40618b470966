/**
 * The one HTTP error type of the service, turned into a JSON response in one
 * place: `{"error":{"code","message","field"}}`.
 *
 * @example
 * ```ts
 * import { HttpError, errorResponse } from "./http_error.ts";
 * const res = errorResponse(new HttpError(400, "invalid_option", "maxPages must be >= 1", "options.maxPages"));
 * res.status; // 400
 * ```
 * @module
 */

/** A failure to serve a request, with its status and a stable `code`. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | null;
  readonly headers: Record<string, string>;
  constructor(
    status: number,
    code: string,
    message: string,
    field: string | null = null,
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
    this.field = field;
    this.headers = headers;
  }
}

/** A JSON response with the right content type. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body) + "\n", {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/** The response for an error; anything not an {@linkcode HttpError} is a 500 with no detail. */
export function errorResponse(e: unknown): Response {
  if (e instanceof HttpError) {
    return json(
      { error: { code: e.code, message: e.message, field: e.field } },
      e.status,
      e.headers,
    );
  }
  return json({ error: { code: "internal", message: "Internal server error", field: null } }, 500);
}
