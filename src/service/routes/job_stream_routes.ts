/**
 * The streamed job routes: `GET /jobs/:id/events` (stored events, then live
 * ones, until `done`) and `GET /jobs/:id/pages` (the stored page records).
 * Both answer NDJSON and count towards LIMIT_STREAMS.
 *
 * @example
 * ```ts ignore
 * const routes = jobStreamRoutes(ctx); // ctx: an AppContext
 * ```
 * @module
 */
import type { PageEvent } from "../../crawl/events.ts";
import { pickPageFields, type Store } from "../../store/store.ts";
import { normalizeUrl } from "../../url/normalize_url.ts";
import { followEvents } from "../follow_events.ts";
import { NDJSON } from "../ndjson_response.ts";
import { EVENTS_QUERY, JOB_EVENT, JOB_PATH, PAGE, PAGES_QUERY } from "../api_schemas.ts";
import { type Route, route } from "../route.ts";
import { type AppContext, getJob, parseQuery } from "./context.ts";

interface PageQuery {
  status?: number;
  url?: string;
  after?: string;
  limit: number;
  fields?: string[];
}

async function* pagesOf(
  store: Store,
  id: string,
  query: PageQuery,
  signal: AbortSignal,
): AsyncGenerator<PageEvent> {
  const { status, url, fields } = query;
  // the paging cursor needs each page's URL, asked for or not
  const read = fields && !fields.includes("url") ? [...fields, "url"] : fields;
  let { after, limit: left } = query;
  while (left > 0) {
    signal.throwIfAborted();
    const want = Math.min(500, left);
    const batch = await store.listPages(id, { status, url, after, limit: want, fields: read });
    for (const p of batch) yield read === fields ? p : pickPageFields(p, fields);
    if (batch.length < want) return;
    left -= batch.length;
    after = batch[batch.length - 1].url;
  }
}

/** The streamed routes of a job; see the module doc. */
export function jobStreamRoutes(ctx: AppContext): Route[] {
  const { store, hub } = ctx;
  return [
    route("GET", "/jobs/:id/events", {
      summary: "Follow a job's events",
      description: "Every stored event after `since`, then live ones as they happen, until " +
        "`done`. After a dropped connection, reconnect with `since` = the last `seq` seen.",
      params: JOB_PATH,
      query: EVENTS_QUERY,
      errors: [429, 503],
      responses: { 200: { description: "Events, one a line", type: NDJSON, schema: JOB_EVENT } },
    }, async ({ params, url }) => {
      const { since = 0 } = parseQuery(EVENTS_QUERY, url.searchParams);
      await getJob(store, params.id);
      return ctx.streams.respond((signal) =>
        followEvents(store, hub, params.id, { since, signal })
      );
    }),
    route("GET", "/jobs/:id/pages", {
      summary: "A job's stored pages, sorted by URL",
      params: JOB_PATH,
      query: PAGES_QUERY,
      errors: [429, 503],
      responses: { 200: { description: "Page records, one a line", type: NDJSON, schema: PAGE } },
    }, async ({ params, url }) => {
      await getJob(store, params.id);
      const q = parseQuery(PAGES_QUERY, url.searchParams);
      const query: PageQuery = {
        status: q.status,
        limit: q.limit ?? Infinity,
        url: q.url === undefined ? undefined : normalizeUrl(q.url) ?? q.url,
        after: q.after,
        fields: q.fields === undefined ? undefined : [
          ...new Set(q.fields.split(",").map((f) => f.trim()).filter((f) => f !== "")),
        ],
      };
      return ctx.streams.respond((signal) => pagesOf(store, params.id, query, signal));
    }),
  ];
}
