/**
 * The zod schemas of the HTTP API that are not the job request itself (that
 * one lives in `job_request.ts`): query parameters, path parameters and every
 * response shape. Queries are validated with these schemas, and the OpenAPI
 * document (`openapi.ts`) is generated from them, so the contract cannot
 * drift from the code. Response schemas are loose objects: a new field is
 * not a breaking change.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { JOB_LIST_QUERY } from "./api_schemas.ts";
 * assert.equal(JOB_LIST_QUERY.safeParse({ limit: 5 }).success, true);
 * assert.equal(JOB_LIST_QUERY.safeParse({ limit: 0 }).success, false);
 * ```
 * @module
 */
import { z } from "zod";
import { PAGE_FIELDS } from "../store/store.ts";

/** A whole-number query parameter from `min` to `max`, with the API's message. */
function wholeNumber(name: string, min: number, max: number) {
  const error = `${name} must be a whole number from ${min} to ${max}`;
  return z.int({ error }).min(min, { error }).max(max, { error });
}

/** Path parameters of `/jobs/{id}...`. */
export const JOB_PATH = z.object({
  id: z.string().regex(/^[A-Za-z0-9-]{1,64}$/).meta({ description: "The job id (a UUID)" }),
});

/** Query of `GET /jobs`. */
export const JOB_LIST_QUERY = z.object({
  limit: wholeNumber("limit", 1, 1000).optional().meta({
    description: "Most recent jobs to list. Default 50",
  }),
});

/** Query of `GET /jobs/{id}/events`. */
export const EVENTS_QUERY = z.object({
  since: wholeNumber("since", 0, Number.MAX_SAFE_INTEGER).optional().meta({
    description: "Only events with a greater `seq`: resume after the last event seen. Default 0",
  }),
});

/** Query of `GET /jobs/{id}/pages`. */
export const PAGES_QUERY = z.object({
  status: wholeNumber("status", 100, 599).optional().meta({
    description: "Only pages with this HTTP status",
  }),
  url: z.string().optional().meta({
    description: "Only the page with this URL (normalized as the crawler does)",
  }),
  limit: wholeNumber("limit", 1, 1_000_000).optional().meta({
    description: "At most this many pages. Default: all",
  }),
  after: z.string().optional().meta({
    description: "Pages are sorted by URL: only those after this one (for paging)",
  }),
  fields: z.string().optional().superRefine((v, ctx) => {
    const unknown = (v ?? "").split(",").map((f) => f.trim()).find((f) =>
      f !== "" && !PAGE_FIELDS.has(f)
    );
    if (unknown !== undefined) {
      ctx.addIssue({
        code: "custom",
        message: `Unknown page field ${JSON.stringify(unknown)}; known: ${
          [...PAGE_FIELDS].join(", ")
        }`,
      });
    }
  }).meta({
    description: "Only these fields of each page, comma-separated (e.g. `url,title,content`). " +
      "Default: all",
  }),
});

/** The error body every 4xx and 5xx answer has. */
export const ERROR_BODY = z.looseObject({
  error: z.looseObject({
    code: z.string().meta({ description: "Stable, e.g. `invalid_field` or `store_unavailable`" }),
    message: z.string(),
    field: z.string().nullable().meta({ description: "The request field at fault, if any" }),
  }),
}).meta({ id: "Error" });

const COUNTERS = z.looseObject({
  pages: z.int(),
  errors: z.int(),
  skipped: z.int(),
  bytes: z.int(),
});

/** A job as the API shows it. */
export const JOB = z.looseObject({
  id: z.string(),
  status: z.enum(["queued", "running", "completed", "cancelled", "failed"]),
  urls: z.array(z.string()),
  options: z.record(z.string(), z.unknown()),
  counters: COUNTERS,
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  startedAt: z.iso.datetime().nullable(),
  finishedAt: z.iso.datetime().nullable(),
  error: z.string().nullable(),
  links: z.looseObject({ self: z.string(), events: z.string(), pages: z.string() }),
}).meta({ id: "Job" });

/** `GET /jobs`. */
export const JOB_LIST = z.looseObject({ jobs: z.array(JOB) }).meta({ id: "JobList" });

/** A fetched page: a `page` event, and the stored record `GET /jobs/{id}/pages` returns. */
export const PAGE = z.looseObject({
  type: z.literal("page"),
  url: z.string(),
  finalUrl: z.string(),
  status: z.int(),
  depth: z.int(),
  parent: z.string().nullable(),
  contentType: z.string(),
  title: z.string().nullable(),
  links: z.array(z.string()),
  bytes: z.int(),
  ms: z.number(),
  attempts: z.int(),
  meta: z.looseObject({}).nullable().optional().meta({
    description: "description, canonical, lang, robots, author, publishedTime, siteName, image, " +
      "alternates; null for non-HTML or non-2xx pages",
  }),
  contentHash: z.string().nullable().optional().meta({
    description: "Hex SHA-256 of the decoded body",
  }),
  content: z.string().nullable().optional().meta({
    description: "The main content in the job's `content` mode; null for `none`",
  }),
}).meta({ id: "Page" });

const SEQ = { seq: z.int().min(1).meta({ description: "The event's number in the job, from 1" }) };

/** One line of `GET /jobs/{id}/events`. */
export const JOB_EVENT = z.union([
  PAGE.extend(SEQ),
  z.looseObject({
    ...SEQ,
    type: z.literal("error"),
    url: z.string(),
    depth: z.int(),
    parent: z.string().nullable(),
    code: z.string(),
    message: z.string(),
    attempts: z.int(),
  }),
  z.looseObject({
    ...SEQ,
    type: z.literal("skipped"),
    url: z.string(),
    reason: z.string(),
    depth: z.int(),
    parent: z.string().nullable(),
  }),
  z.looseObject({
    ...SEQ,
    type: z.literal("sitemap"),
    url: z.string(),
    parent: z.string().nullable(),
    kind: z.enum(["urlset", "sitemapindex", "text"]),
    urls: z.int(),
    admitted: z.int(),
    truncated: z.boolean(),
    bytes: z.int(),
    ms: z.number(),
  }),
  z.looseObject({
    ...SEQ,
    type: z.literal("done"),
    stats: COUNTERS.extend({ durationMs: z.number() }),
    reason: z.enum(["complete", "max_pages", "aborted"]),
  }),
]).meta({ id: "JobEvent" });

/** `GET /healthz`. */
export const HEALTH = z.looseObject({
  status: z.enum(["ok", "unavailable"]),
  store: z.string(),
  error: z.string().optional(),
}).meta({ id: "Health" });
