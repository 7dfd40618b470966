/**
 * The HTTP API of the crawl service as one handler, `(req) => Promise<Response>`,
 * tested in-process. Routing, auth, limits and the one place that turns
 * errors into responses live here; the work lives in the store, the job
 * runner and the event follower.
 *
 * @example
 * ```ts ignore
 * const handler = createApp({ store, runner, hub, metrics, config, guard: null });
 * const res = await handler(new Request("http://localhost/healthz"));
 * ```
 * @module
 */
import type { JobDoc, Store } from "../store/store.ts";
import { newJob, StoreError } from "../store/store.ts";
import type { ServiceConfig } from "./config.ts";
import { errorResponse, HttpError, json } from "./http_error.ts";
import { parseJobRequest } from "./job_request.ts";
import type { JobRunner } from "./job_runner.ts";
import type { JobHub } from "./job_hub.ts";
import type { Metrics } from "./metrics.ts";
import { followEvents } from "./follow_events.ts";
import { RateLimiter } from "./rate_limiter.ts";
import { ndjsonStream } from "../ndjson/ndjson_stream.ts";
import { normalizeUrl } from "../url/normalize_url.ts";
import type { PageEvent } from "../crawl/events.ts";
import { type AddressPolicy, checkAddresses, checkUrlTarget } from "../net/address_policy.ts";
import { type Resolver, systemResolver } from "../net/guarded_fetcher.ts";
import { NetError } from "../net/net_error.ts";

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

/** Connection info Deno.serve passes to handlers. */
export interface ClientInfo {
  remoteAddr?: { hostname?: string };
}

const NDJSON = "application/x-ndjson";
const ID = /^[A-Za-z0-9-]{1,64}$/;

function publicJob(j: JobDoc): Record<string, unknown> {
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

function timingSafeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

function intParam(params: URLSearchParams, name: string, min: number, max: number): number | null {
  const v = params.get(name);
  if (v === null) return null;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new HttpError(
      400,
      "invalid_query",
      `${name} must be a whole number from ${min} to ${max}`,
      name,
    );
  }
  return Number(v);
}

function methodNotAllowed(allow: string[]): never {
  throw new HttpError(405, "method_not_allowed", `Use ${allow.join(" or ")}`, "method", {
    allow: allow.join(", "),
  });
}

function unavailable(e: unknown): HttpError {
  return new HttpError(503, "store_unavailable", `Database unavailable: ${(e as Error).message}`);
}

/** Builds the handler; see the module doc. */
export function createApp(deps: AppDeps): (req: Request, info?: ClientInfo) => Promise<Response> {
  const { store, runner, hub, metrics, config } = deps;
  const limits = config.limits;
  const jobsPerClient = new RateLimiter(limits.jobsPerMinute, 60_000);
  const resolve = deps.resolve ?? systemResolver;
  let streams = 0;

  /**
   * An NDJSON response of the generator `make` builds. The generator gets a
   * signal that aborts when the client goes away (or at shutdown), so a
   * follower waiting for new events stops at once; the stream counts towards
   * LIMIT_STREAMS until then.
   */
  function stream<T>(make: (signal: AbortSignal) => AsyncGenerator<T>): Response {
    streams++;
    let open = true;
    const gone = new AbortController();
    const signal = deps.signal ? AbortSignal.any([deps.signal, gone.signal]) : gone.signal;
    const source = make(signal);
    const release = () => {
      if (open) streams--;
      open = false;
    };
    const iterable: AsyncIterable<T> = {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          try {
            const r = await source.next();
            if (r.done) release();
            return r;
          } catch (e) {
            release();
            if (signal.aborted) return { done: true, value: undefined };
            throw e;
          }
        },
        return: (value?: unknown) => {
          gone.abort();
          release();
          return source.return(value as undefined).catch(() => ({ done: true, value: undefined }));
        },
      }),
    };
    return new Response(ndjsonStream(iterable), {
      headers: {
        "content-type": NDJSON,
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
      },
    });
  }

  function admitStream(): void {
    if (streams >= limits.maxStreams) {
      throw new HttpError(
        429,
        "too_many_streams",
        `${limits.maxStreams} streams are open, the limit (LIMIT_STREAMS)`,
        null,
        { "retry-after": "5" },
      );
    }
  }

  async function getJob(id: string): Promise<JobDoc> {
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

  async function checkSeeds(urls: string[]): Promise<void> {
    const policy = deps.guard;
    if (!policy) return;
    for (let i = 0; i < urls.length; i++) {
      try {
        const target = checkUrlTarget(new URL(urls[i]), policy);
        if (target.addresses === null) {
          const ac = new AbortController();
          const t = setTimeout(() => ac.abort(), 5000);
          let resolved;
          try {
            resolved = await resolve(target.hostname, ac.signal);
          } catch {
            continue; // unresolvable now: the crawl reports it as a dns error
          } finally {
            clearTimeout(t);
          }
          checkAddresses(target.hostname, resolved.map((r) => r.address), policy);
        }
      } catch (e) {
        if (e instanceof NetError) {
          throw new HttpError(400, e.code, `urls[${i}]: ${e.message}`, `urls[${i}]`);
        }
        throw e;
      }
    }
  }

  async function createJob(req: Request, info?: ClientInfo): Promise<Response> {
    if (deps.draining?.()) {
      throw new HttpError(503, "shutting_down", "The service is shutting down", null, {
        "retry-after": "5",
      });
    }
    const client = config.token ? "token" : (info?.remoteAddr?.hostname ?? "unknown");
    const body = await parseJobRequest(req, limits);
    await checkSeeds(body.urls);
    if (!jobsPerClient.hit(client)) {
      const wait = Math.ceil(jobsPerClient.retryAfterMs(client) / 1000);
      throw new HttpError(
        429,
        "rate_limited",
        `More than ${limits.jobsPerMinute} jobs a minute (LIMIT_JOBS_PER_MINUTE)`,
        null,
        { "retry-after": String(Math.max(1, wait)) },
      );
    }
    const job = newJob(
      crypto.randomUUID(),
      body.urls,
      body.options as Record<string, unknown>,
      new Date(),
    );
    try {
      const counts = await store.countJobs();
      const active = (counts.queued ?? 0) + (counts.running ?? 0);
      if (active >= limits.maxActiveJobs) {
        throw new HttpError(
          429,
          "too_many_jobs",
          `${active} jobs are queued or running, the limit (LIMIT_ACTIVE_JOBS)`,
          null,
          { "retry-after": "10" },
        );
      }
      await store.createJob(job);
    } catch (e) {
      if (e instanceof HttpError) throw e;
      throw unavailable(e);
    }
    runner.notify();
    const accept = req.headers.get("accept") ?? "";
    if (accept.includes(NDJSON)) {
      admitStream();
      return stream((signal) => followEvents(store, hub, job.id, { since: 0, signal }));
    }
    return json(publicJob(job), 201, { location: `/jobs/${job.id}` });
  }

  async function cancelJob(id: string): Promise<Response> {
    const job = await getJob(id);
    if (job.status === "completed" || job.status === "failed" || job.status === "cancelled") {
      return json(publicJob(job));
    }
    try {
      await runner.cancel(id);
    } catch (e) {
      throw unavailable(e);
    }
    // Give a local job a moment to record its end, so the answer shows it.
    for (let i = 0; i < 20; i++) {
      const j = await store.getJob(id).catch(() => null);
      if (j && j.status !== "running" && j.status !== "queued") return json(publicJob(j), 202);
      await new Promise((r) => setTimeout(r, 50));
    }
    return json(publicJob({ ...job, status: job.status }), 202);
  }

  /** The page filters of `GET /jobs/:id/pages`, checked before the stream starts. */
  function pageQuery(params: URLSearchParams) {
    const rawUrl = params.get("url");
    return {
      status: intParam(params, "status", 100, 599) ?? undefined,
      limit: intParam(params, "limit", 1, 1_000_000) ?? Infinity,
      url: rawUrl === null ? undefined : normalizeUrl(rawUrl) ?? rawUrl,
      after: params.get("after") ?? undefined,
    };
  }

  async function* pagesOf(
    id: string,
    query: ReturnType<typeof pageQuery>,
    signal: AbortSignal,
  ): AsyncGenerator<PageEvent> {
    const { status, url } = query;
    let { after, limit: left } = query;
    while (left > 0) {
      signal.throwIfAborted();
      const want = Math.min(500, left);
      const batch = await store.listPages(id, { status, url, after, limit: want });
      for (const p of batch) yield p;
      if (batch.length < want) return;
      left -= batch.length;
      after = batch[batch.length - 1].url;
    }
  }

  async function route(req: Request, info?: ClientInfo): Promise<Response> {
    const url = new URL(req.url);
    const path = url.pathname.replace(/\/+$/, "") || "/";
    const m = req.method;
    if (path === "/healthz") {
      if (m !== "GET" && m !== "HEAD") methodNotAllowed(["GET"]);
      try {
        await store.ping(AbortSignal.timeout(2000));
        return json({ status: "ok", store: store.kind });
      } catch (e) {
        return json({ status: "unavailable", store: store.kind, error: (e as Error).message }, 503);
      }
    }
    if (config.token) {
      const auth = req.headers.get("authorization") ?? "";
      if (!timingSafeEqual(auth, `Bearer ${config.token}`)) {
        throw new HttpError(401, "unauthorized", "Missing or wrong bearer token", "authorization", {
          "www-authenticate": "Bearer",
        });
      }
    }
    if (path === "/metrics") {
      if (m !== "GET") methodNotAllowed(["GET"]);
      const jobs = await store.countJobs().catch(() => ({}));
      return new Response(metrics.render({ jobs, inFlight: runner.inFlight, streams }), {
        headers: { "content-type": "text/plain; version=0.0.4" },
      });
    }
    if (path === "/jobs") {
      if (m === "POST") return await createJob(req, info);
      if (m === "GET") {
        const limit = intParam(url.searchParams, "limit", 1, 1000) ?? 50;
        try {
          return json({ jobs: (await store.listJobs(limit)).map(publicJob) });
        } catch (e) {
          throw unavailable(e);
        }
      }
      methodNotAllowed(["GET", "POST"]);
    }
    const parts = path.split("/");
    if (parts[1] === "jobs" && parts.length >= 3 && parts.length <= 4) {
      const id = decodeURIComponent(parts[2]);
      const sub = parts[3];
      if (sub === undefined) {
        if (m === "GET") return json(publicJob(await getJob(id)));
        if (m === "DELETE") return await cancelJob(id);
        methodNotAllowed(["GET", "DELETE"]);
      }
      if (sub === "events") {
        if (m !== "GET") methodNotAllowed(["GET"]);
        const since = intParam(url.searchParams, "since", 0, Number.MAX_SAFE_INTEGER) ?? 0;
        await getJob(id);
        admitStream();
        return stream((signal) => followEvents(store, hub, id, { since, signal }));
      }
      if (sub === "pages") {
        if (m !== "GET") methodNotAllowed(["GET"]);
        await getJob(id);
        admitStream();
        const query = pageQuery(url.searchParams);
        return stream((signal) => pagesOf(id, query, signal));
      }
    }
    throw new HttpError(404, "not_found", `No route for ${m} ${path}`, "path");
  }

  return async function handler(req: Request, info?: ClientInfo): Promise<Response> {
    let res: Response;
    try {
      res = await route(req, info);
    } catch (e) {
      let err = e;
      if (e instanceof StoreError) err = unavailable(e);
      else if (!(e instanceof HttpError)) {
        console.error(`unhandled error on ${req.method} ${req.url}:`, e);
      }
      res = errorResponse(err);
    }
    metrics.observeHttp(res.status);
    return res;
  };
}
