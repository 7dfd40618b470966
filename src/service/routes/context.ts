/**
 * What the route handlers share: the service's parts, the count of open
 * streams, and the few helpers several handlers use (finding a job, turning
 * a store failure into a 503, reading a query through its schema).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { z } from "zod";
 * import { parseQuery } from "./context.ts";
 * const q = parseQuery(z.object({ limit: z.int().max(9).optional() }), new URLSearchParams("limit=5"));
 * assert.equal(q.limit, 5);
 * ```
 * @module
 */
import type { z } from "zod";
import type { JobDoc, Store } from "../../store/store.ts";
import type { ServiceConfig } from "../config.ts";
import type { JobRunner } from "../job_runner.ts";
import type { JobHub } from "../job_hub.ts";
import type { Metrics } from "../metrics.ts";
import type { AddressPolicy } from "../../net/address_policy.ts";
import type { Resolver } from "../../net/resolver.ts";
import { HttpError } from "../http_error.ts";
import { ndjsonResponse } from "../ndjson_response.ts";

/** What the handler is built from. */
export interface AppDeps {
  store: Store;
  runner: JobRunner;
  hub: JobHub;
  metrics: Metrics;
  config: ServiceConfig;
  /** The SSRF policy seeds are checked against; `null` when the guard is off. */
  guard: AddressPolicy | null;
  /** How seed host names are resolved for the SSRF check. @default systemResolver */
  resolve?: Resolver;
  /** Set when the service is shutting down: new jobs get 503. */
  draining?: () => boolean;
  /** Aborted at shutdown: open event streams end. */
  signal?: AbortSignal;
}

/** The open NDJSON streams, capped at LIMIT_STREAMS. */
export interface Streams {
  /** Streams open now. */
  readonly open: number;
  /** An NDJSON response of `make`'s values; 429 `too_many_streams` when the cap is reached. */
  respond<T>(make: (signal: AbortSignal) => AsyncGenerator<T>): Response;
}

/** {@linkcode AppDeps} plus the shared state of one app. */
export interface AppContext extends AppDeps {
  streams: Streams;
}

/** The stream counter of an app whose streams end when `signal` aborts. */
export function createStreams(maxStreams: number, signal?: AbortSignal): Streams {
  let open = 0;
  return {
    get open() {
      return open;
    },
    respond(make) {
      if (open >= maxStreams) {
        throw new HttpError(
          429,
          "too_many_streams",
          `${maxStreams} streams are open, the limit (LIMIT_STREAMS)`,
          null,
          { "retry-after": "5" },
        );
      }
      open++;
      return ndjsonResponse(make, { signal, onClose: () => open-- });
    },
  };
}

/** The 503 of a store failure. */
export function unavailable(e: unknown): HttpError {
  return new HttpError(503, "store_unavailable", `Database unavailable: ${(e as Error).message}`);
}

const ID = /^[A-Za-z0-9-]{1,64}$/;

/** The job `id`, or 404 `job_not_found`; 503 when the store fails. */
export async function getJob(store: Store, id: string): Promise<JobDoc> {
  if (!ID.test(id)) throw new HttpError(404, "job_not_found", "No such job", "id");
  let job: JobDoc | null;
  try {
    job = await store.getJob(id);
  } catch (e) {
    throw unavailable(e);
  }
  if (!job) throw new HttpError(404, "job_not_found", `No job ${id}`, "id");
  return job;
}

/** A job as the API shows it (the `JOB` schema of `api_schemas.ts`). */
export function publicJob(j: JobDoc): Record<string, unknown> {
  const self = `/jobs/${j.id}`;
  return {
    id: j.id,
    status: j.status,
    urls: j.urls,
    options: j.options,
    counters: j.counters,
    createdAt: j.createdAt,
    updatedAt: j.updatedAt,
    startedAt: j.startedAt,
    finishedAt: j.finishedAt,
    error: j.error,
    links: { self, events: `${self}/events`, pages: `${self}/pages` },
  };
}

/**
 * The query parameters `schema` names, checked by it; 400 `invalid_query`
 * naming the parameter. A parameter of digits is given to the schema as a
 * number unless the schema takes it as a string. Other parameters are ignored.
 */
export function parseQuery<T extends z.ZodObject>(
  schema: T,
  params: URLSearchParams,
): z.infer<T> {
  const raw: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema.shape) as [string, z.ZodType][]) {
    const v = params.get(key);
    if (v === null) continue;
    raw[key] = /^\d+$/.test(v) && !field.safeParse(v).success ? Number(v) : v;
  }
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const name = String(issue.path[0] ?? "query");
  throw new HttpError(400, "invalid_query", issue.message, name);
}
