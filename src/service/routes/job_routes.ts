/**
 * The job routes: `GET /jobs`, `POST /jobs`, `GET /jobs/:id` and
 * `DELETE /jobs/:id`.
 *
 * @example
 * ```ts ignore
 * const routes = jobRoutes(ctx); // ctx: an AppContext
 * ```
 * @module
 */
import { z } from "zod";
import { newJob } from "../../store/store.ts";
import { HttpError, json } from "../http_error.ts";
import { JOB_BODY, JOB_OPTIONS, parseJobRequest } from "../job_request.ts";
import { RateLimiter } from "../rate_limiter.ts";
import { followEvents } from "../follow_events.ts";
import { findBlockedSeed } from "../../net/seed_check.ts";
import { NDJSON } from "../ndjson_response.ts";
import { JOB, JOB_EVENT, JOB_LIST, JOB_LIST_QUERY, JOB_PATH } from "../api_schemas.ts";
import { type ClientInfo, type Route, route } from "../route.ts";
import { type AppContext, getJob, parseQuery, publicJob, unavailable } from "./context.ts";

/** The routes of jobs; see the module doc. */
export function jobRoutes(ctx: AppContext): Route[] {
  const { store, runner, hub, config } = ctx;
  const limits = config.limits;
  const jobsPerClient = new RateLimiter(limits.jobsPerMinute, 60_000);

  async function checkSeeds(urls: string[]): Promise<void> {
    if (!ctx.guard) return;
    const blocked = await findBlockedSeed(urls, ctx.guard, { resolve: ctx.resolve });
    if (blocked) {
      const { index, error } = blocked;
      throw new HttpError(400, error.code, `urls[${index}]: ${error.message}`, `urls[${index}]`);
    }
  }

  async function createJob(req: Request, info?: ClientInfo): Promise<Response> {
    if (ctx.draining?.()) {
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
      return ctx.streams.respond((signal) =>
        followEvents(store, hub, job.id, { since: 0, signal })
      );
    }
    return json(publicJob(job), 201, { location: `/jobs/${job.id}` });
  }

  async function cancelJob(id: string): Promise<Response> {
    const job = await getJob(store, id);
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
    return json(publicJob(job), 202);
  }

  return [
    route("GET", "/jobs", {
      summary: "List the most recent jobs, newest first",
      query: JOB_LIST_QUERY,
      errors: [503],
      responses: { 200: { description: "The jobs", schema: JOB_LIST } },
    }, async ({ url }) => {
      const { limit = 50 } = parseQuery(JOB_LIST_QUERY, url.searchParams);
      try {
        return json({ jobs: (await store.listJobs(limit)).map(publicJob) });
      } catch (e) {
        throw unavailable(e);
      }
    }),
    route("POST", "/jobs", {
      summary: "Start a crawl job",
      description: "A JSON body `{urls, options}`, or a `text/uri-list` / `text/plain` body " +
        "with one URL a line and the options as query parameters. With " +
        "`Accept: application/x-ndjson` the answer is the job's event stream.",
      query: JOB_OPTIONS,
      errors: [413, 415, 429, 503],
      body: {
        "application/json": JOB_BODY,
        "text/uri-list": z.string().meta({ description: "One URL a line; # starts a comment" }),
        "text/plain": z.string().meta({ description: "One URL a line; # starts a comment" }),
      },
      responses: {
        201: {
          description: "The job, queued",
          schema: JOB,
          headers: { location: "The job's URL" },
        },
        200: {
          description: "With `Accept: application/x-ndjson`: the job's events, one a line",
          type: NDJSON,
          schema: JOB_EVENT,
        },
      },
    }, ({ req, info }) => createJob(req, info)),
    route("GET", "/jobs/:id", {
      summary: "A job: status, options, counters, links",
      params: JOB_PATH,
      errors: [503],
      responses: { 200: { description: "The job", schema: JOB } },
    }, async ({ params }) => json(publicJob(await getJob(store, params.id)))),
    route("DELETE", "/jobs/:id", {
      summary: "Cancel a job",
      description: "Answers 202 with the job (usually already `cancelled`), or 200 with the " +
        "job unchanged when it had already ended.",
      params: JOB_PATH,
      errors: [503],
      responses: {
        200: { description: "The job had already ended", schema: JOB },
        202: { description: "Cancellation requested; the job as it is now", schema: JOB },
      },
    }, ({ params }) => cancelJob(params.id)),
  ];
}
