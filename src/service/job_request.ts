/**
 * Validates a `POST /jobs` request into seed URLs and engine options: JSON
 * `{"urls":[...],"options":{...}}` checked by the engine's option schema
 * (`src/crawl/option_schema.ts`; unknown fields rejected) and this service's
 * ceilings, or `text/uri-list` /
 * `text/plain` with one URL a line and options in the query string. Every
 * refusal is an `HttpError` naming the field.
 *
 * @example
 * ```ts
 * import { parseJobRequest } from "./job_request.ts";
 * import { loadConfig } from "./config.ts";
 * const req = new Request("http://x/jobs", {
 *   method: "POST",
 *   headers: { "content-type": "application/json" },
 *   body: JSON.stringify({ urls: ["http://a.test/"], options: { maxPages: 5 } }),
 * });
 * const job = await parseJobRequest(req, loadConfig({}).limits);
 * // job.urls is ["http://a.test/"], job.options.maxPages is 5
 * ```
 * @module
 */
import { z } from "zod";
import { type CrawlOptions, OPTION_SPECS } from "../crawl/options.ts";
import { OPTIONS_SCHEMA } from "../crawl/option_schema.ts";
import { normalizeUrl } from "../url/normalize_url.ts";
import { HttpError } from "./http_error.ts";
import { readRequestText } from "./request_body.ts";
import type { Limits } from "./config.ts";

/** A validated job request. */
export interface JobRequest {
  /** Normalized, de-duplicated seed URLs. */
  urls: string[];
  /** The options given (defaults are applied by the engine). */
  options: Partial<CrawlOptions>;
}

/** The engine options a job may set, each optional (the engine's defaults apply). */
export const JOB_OPTIONS: z.ZodObject = OPTIONS_SCHEMA;
const OPTIONS = JOB_OPTIONS as unknown as z.ZodType<Partial<CrawlOptions>>;

/** The JSON body of `POST /jobs`. */
export const JOB_BODY = z.object({
  urls: z.array(z.string()).meta({ description: "Seed URLs (http or https)" }),
  options: OPTIONS.optional(),
}).strict();
const BODY = JOB_BODY;

function fieldOf(path: PropertyKey[]): string {
  return path.map((p, i) => typeof p === "number" ? `[${p}]` : (i === 0 ? "" : ".") + String(p))
    .join("");
}

function fromZod(err: z.ZodError, prefix = ""): HttpError {
  const issue = err.issues[0];
  let path = issue.path;
  let message = issue.message;
  if (issue.code === "unrecognized_keys") {
    const key = (issue as { keys: string[] }).keys[0];
    path = [...path, key];
    message = `Unknown field ${JSON.stringify(key)}`;
  }
  const field = prefix + fieldOf(path);
  return new HttpError(400, "invalid_field", `${field || "body"}: ${message}`, field || "body");
}

function checkCeilings(o: Partial<CrawlOptions>, limits: Limits): void {
  const over = (field: keyof CrawlOptions, value: number | undefined, max: number, env: string) => {
    if (value !== undefined && value > max) {
      throw new HttpError(
        400,
        "limit_exceeded",
        `options.${field} is ${value}, over this service's limit of ${max} (${env})`,
        `options.${field}`,
      );
    }
  };
  over("maxPages", o.maxPages, limits.maxPages, "LIMIT_MAX_PAGES");
  over("concurrency", o.concurrency, limits.maxConcurrency, "LIMIT_MAX_CONCURRENCY");
  over("perHost", o.perHost, limits.maxConcurrency, "LIMIT_MAX_CONCURRENCY");
  over("timeoutMs", o.timeoutMs, limits.maxTimeoutMs, "LIMIT_MAX_TIMEOUT_MS");
  over("parseWorkers", o.parseWorkers, limits.maxParseWorkers, "LIMIT_MAX_PARSE_WORKERS");
}

/** Checks and normalizes the seed URLs against the limits. */
export function checkUrls(urls: string[], limits: Limits): string[] {
  if (urls.length === 0) {
    throw new HttpError(400, "invalid_field", "urls: at least one URL", "urls");
  }
  if (urls.length > limits.maxUrlsPerJob) {
    throw new HttpError(
      413,
      "too_many_urls",
      `urls: ${urls.length} URLs, over the limit of ${limits.maxUrlsPerJob} (LIMIT_URLS_PER_JOB)`,
      "urls",
    );
  }
  const out = new Set<string>();
  urls.forEach((u, i) => {
    if (u.length > limits.maxUrlLength) {
      throw new HttpError(
        413,
        "url_too_long",
        `urls[${i}]: ${u.length} characters, over the limit of ${limits.maxUrlLength} (LIMIT_URL_LENGTH)`,
        `urls[${i}]`,
      );
    }
    const n = normalizeUrl(u);
    if (n === null) {
      throw new HttpError(400, "invalid_url", `urls[${i}]: not an http(s) URL`, `urls[${i}]`);
    }
    out.add(n);
  });
  return [...out];
}

function optionsFromQuery(params: URLSearchParams): Partial<CrawlOptions> {
  const raw: Record<string, unknown> = {};
  for (const key of new Set(params.keys())) {
    const spec = OPTION_SPECS.find((s) => s.key === key);
    if (!spec) {
      throw new HttpError(400, "invalid_field", `Unknown query option ${JSON.stringify(key)}`, key);
    }
    const values = params.getAll(key);
    const v = values[values.length - 1];
    switch (spec.type) {
      case "int":
        raw[key] = /^-?\d+$/.test(v) ? Number(v) : v;
        break;
      case "bool":
        raw[key] = v === "" || v === "true" || v === "1"
          ? true
          : v === "false" || v === "0"
          ? false
          : v;
        break;
      case "strings":
        raw[key] = values;
        break;
      default:
        raw[key] = v;
    }
  }
  const r = OPTIONS.safeParse(raw);
  if (!r.success) throw fromZod(r.error, "");
  return r.data;
}

/** Reads and validates a job request; see the module doc. */
export async function parseJobRequest(req: Request, limits: Limits): Promise<JobRequest> {
  const type = (req.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/json" && type !== "text/uri-list" && type !== "text/plain") {
    throw new HttpError(
      415,
      "unsupported_media_type",
      "Content-Type must be application/json, text/uri-list or text/plain",
      "content-type",
    );
  }
  const text = await readRequestText(req, limits.maxBodyBytes);
  let urls: string[];
  let options: Partial<CrawlOptions>;
  if (type === "application/json") {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new HttpError(400, "invalid_json", "Request body is not valid JSON", "body");
    }
    if (body && typeof body === "object" && Array.isArray((body as { urls?: unknown }).urls)) {
      const n = (body as { urls: unknown[] }).urls.length;
      if (n > limits.maxUrlsPerJob) checkUrls(new Array(n).fill(""), limits);
    }
    const r = BODY.safeParse(body);
    if (!r.success) throw fromZod(r.error);
    urls = r.data.urls;
    options = r.data.options ?? {};
  } else {
    urls = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
    options = optionsFromQuery(new URL(req.url).searchParams);
  }
  checkCeilings(options, limits);
  return { urls: checkUrls(urls, limits), options };
}
