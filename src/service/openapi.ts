/**
 * The API contract, `GET /openapi.json`: an OpenAPI 3.1 document generated
 * from the route table and the zod schemas the routes validate with and
 * answer in (zod 4's `z.toJSONSchema`), never written by hand. Named schemas
 * (`.meta({ id })`) become `components.schemas`; each route's error answers
 * are added from what it declares (query or body: 400, path parameters: 404,
 * the token: 401, plus its `errors`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { z } from "zod";
 * import { route } from "./route.ts";
 * import { openApiDocument } from "./openapi.ts";
 * const ok = () => Promise.resolve(new Response("ok"));
 * const doc = openApiDocument([
 *   route("GET", "/jobs/:id", {
 *     summary: "A job",
 *     params: z.object({ id: z.string() }),
 *     responses: { 200: { description: "The job", schema: z.object({ id: z.string() }) } },
 *   }, ok),
 * ], { version: "1.0.0" });
 * assert.equal(doc.openapi, "3.1.0");
 * assert.ok(doc.paths["/jobs/{id}"].get);
 * ```
 * @module
 */
import { z } from "zod";
import { ERROR_BODY } from "./api_schemas.ts";
import type { ResponseDoc, Route } from "./route.ts";

/** The version of the API the document describes. */
export const API_VERSION = "0.1.0";

/** A JSON Schema or OpenAPI object. */
type Json = Record<string, unknown>;

/** The parts of the document a reader navigates; the rest is plain JSON. */
export interface OpenApiDocument {
  openapi: "3.1.0";
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json>; securitySchemes: Record<string, Json> };
  [key: string]: unknown;
}

/** Settings of {@linkcode openApiDocument}. */
export interface OpenApiOptions {
  /** The API version, e.g. the package version. */
  version: string;
  /** @default "skein crawl service" */
  title?: string;
  /** @default a short description of the service */
  description?: string;
}

const ERROR_TEXT: Record<number, string> = {
  400: "The request is invalid; `error.field` names the part at fault",
  401: "The bearer token (CRAWLER_TOKEN) is missing or wrong",
  404: "No such job",
  405: "The path does not take this method; `Allow` lists those it takes",
  413: "The body, a URL or the URL list is over a limit",
  415: "The body's Content-Type is not accepted",
  429: "A limit is reached (jobs a minute, active jobs, open streams); see `Retry-After`",
  500: "An unexpected failure (no detail is given)",
  503: "The database is unavailable (`store_unavailable`) or the service is shutting down",
};

/** The OpenAPI form of a path with `:name` parameters. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, "{$1}");
}

/** See the module doc. */
export function openApiDocument(
  routes: readonly Route[],
  options: OpenApiOptions,
): OpenApiDocument {
  const schemas: Record<string, Json> = {};

  /** JSON Schema of `schema`; named sub-schemas go to `components.schemas`. */
  function jsonSchema(schema: z.ZodType, io: "input" | "output"): Json {
    const out = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Json;
    delete out.$schema;
    const defs = (out.$defs ?? {}) as Record<string, Json>;
    delete out.$defs;
    for (const [name, def] of Object.entries(defs)) schemas[name] ??= rewriteRefs(def) as Json;
    return rewriteRefs(out) as Json;
  }

  function response(r: ResponseDoc): Json {
    const out: Json = { description: r.description };
    if (r.headers) {
      out.headers = Object.fromEntries(
        Object.entries(r.headers).map((
          [k, d],
        ) => [k, { description: d, schema: { type: "string" } }]),
      );
    }
    if (r.schema || r.type) {
      const type = r.type ?? "application/json";
      out.content = { [type]: { schema: r.schema ? jsonSchema(r.schema, "output") : {} } };
    }
    return out;
  }

  const errorResponse = (status: number): Json => ({
    description: ERROR_TEXT[status] ?? "An error",
    content: { "application/json": { schema: jsonSchema(ERROR_BODY, "output") } },
  });

  const paths: Record<string, Record<string, Json>> = {};
  for (const r of routes) {
    const d = r.doc;
    const parameters: Json[] = [];
    for (const [where, obj] of [["path", d.params], ["query", d.query]] as const) {
      if (!obj) continue;
      for (const [name, field] of Object.entries(obj.shape) as [string, z.ZodType][]) {
        const schema = jsonSchema(field, "input");
        const description = schema.description;
        delete schema.description;
        const p: Json = {
          name,
          in: where,
          required: where === "path" || !field.safeParse(undefined).success,
          schema,
        };
        if (description) p.description = description;
        if (schema.type === "array") p.explode = true;
        parameters.push(p);
      }
    }
    const responses: Json = {};
    for (const [status, rd] of Object.entries(d.responses)) responses[status] = response(rd);
    const errors = new Set<number>(d.errors ?? []);
    if (d.query || d.body) errors.add(400);
    if (d.params) errors.add(404);
    if (r.auth) errors.add(401);
    errors.add(500);
    for (const status of [...errors].sort()) responses[String(status)] ??= errorResponse(status);
    const op: Json = {
      operationId: operationId(r),
      summary: d.summary,
      responses,
    };
    if (d.description) op.description = d.description;
    if (parameters.length > 0) op.parameters = parameters;
    if (d.body) {
      op.requestBody = {
        required: true,
        content: Object.fromEntries(
          Object.entries(d.body).map(([type, s]) => [type, { schema: jsonSchema(s, "input") }]),
        ),
      };
    }
    if (!r.auth) op.security = [];
    const path = openApiPath(r.path);
    (paths[path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: options.title ?? "skein crawl service",
      version: options.version,
      description: options.description ??
        "Start crawl jobs, follow their events as NDJSON, read the pages they stored. " +
          "When the service runs with CRAWLER_TOKEN, every route but `/healthz`, this " +
          "document and the dashboard needs `Authorization: Bearer <token>`.",
    },
    paths,
    components: {
      schemas,
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    },
    security: [{ bearer: [] }],
  };
}

/** A stable operation id, e.g. `getJobsIdEvents` for `GET /jobs/:id/events`. */
function operationId(r: Route): string {
  const words = r.path.split(/[/:]+/).filter((w) => w !== "");
  const name = words.map((w) => w[0].toUpperCase() + w.slice(1).replace(/[^A-Za-z0-9]/g, ""))
    .join("");
  return r.method.toLowerCase() + (name || "Root");
}

function rewriteRefs(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(rewriteRefs);
  if (v === null || typeof v !== "object") return v;
  const out: Json = {};
  for (const [k, x] of Object.entries(v)) {
    out[k] = k === "$ref" && typeof x === "string"
      ? x.replace(/^#\/\$defs\//, "#/components/schemas/")
      : rewriteRefs(x);
  }
  return out;
}
