/**
 * Turns one task into one event: robots.txt check, request with a total
 * deadline, redirects followed by hand (each hop checked against scope and
 * robots), retries with back-off, streamed decoding and link extraction.
 *
 * @example
 * ```ts ignore
 * const event = await fetchPage(task, env, signal);
 * ```
 * @module
 */
import type { CrawlErrorCode, CrawlEvent, ErrorEvent, PageEvent } from "./events.ts";
import type { CrawlOptions } from "./options.ts";
import type { Fetcher } from "../net/fetcher.ts";
import type { Task } from "./frontier.ts";
import type { RobotsCache } from "../robots/robots_cache.ts";
import { type CompiledScope, inScope } from "../url/scope.ts";
import { normalizeUrl } from "../url/normalize_url.ts";
import { originOf } from "../url/url_parts.ts";
import { CrawlError } from "./crawl_error.ts";
import { DeadlineError, deadlineSignal } from "../async/deadline_signal.ts";
import { delay } from "../async/delay.ts";
import { type AttemptOutcome, retryDelayMs, shouldRetry } from "./retry_policy.ts";
import { bodyBytes, countBody } from "./response_body.ts";
import type { ParsePool } from "../html/parse_pool.ts";
import type {
  extractHtml as ExtractHtml,
  extractHtmlBytes as ExtractHtmlBytes,
} from "../html/extract_page.ts";
import { takeWholeBody } from "../net/whole_body.ts";
import { NetError } from "../net/net_error.ts";
import type { BodyHash } from "./body_hash.ts";
import {
  headerRobots,
  type PageMeta,
  robotsNofollow,
  withHeaderRobots,
} from "../html/page_meta.ts";

/** What {@linkcode fetchPage} needs from its crawl. */
export interface PageEnv {
  options: CrawlOptions;
  fetcher: Fetcher;
  scope: CompiledScope;
  /** `null` when robots.txt is ignored. */
  robots: RobotsCache | null;
  /** Called once the robots.txt of a task's origin is known, with its Crawl-delay. */
  onRobots(url: string, crawlDelayMs: number | undefined): void;
  /** Called for each redirect target, so it is not fetched again on its own. */
  onRedirect(url: string): void;
  /** Parses HTML on worker threads; `null` parses inline. */
  parsePool: ParsePool | null;
}

/** Callbacks of {@linkcode fetchPage}. */
export interface FetchHooks {
  /**
   * Called once the whole body has been received, before its last chunk is
   * parsed, with the body's length in bytes.
   */
  onBodyReceived?: (bytes: number) => void;
  /**
   * Called as soon as the fetcher has read the last byte of the answer that
   * ends this attempt (no redirect, no retry follows), often before any of
   * it is parsed (`FetcherInit.onBodyEnd`), with the body's length as the
   * fetcher received it (0 when the fetcher does not say); `onBodyReceived`
   * still follows.
   */
  onAnswerIn?: (bytes: number) => void;
}

/** What parsing a page needs: the HTML parser and the body hash. */
export interface PageParsers {
  extractHtml: typeof ExtractHtml;
  extractHtmlBytes: typeof ExtractHtmlBytes;
  BodyHash: typeof BodyHash;
}

let parsers: PageParsers | null = null;
let loadingParsers: Promise<PageParsers> | null = null;

/**
 * Starts loading what parsing a page needs, if it is not loaded yet, and
 * resolves with it. It is loaded on first use rather than with this module:
 * the HTML parser costs 10-20 ms of start-up and `node:crypto` (the body
 * hash) 40-70 ms, which a crawl spends better waiting for its first answer
 * (a crawl calls this as it starts).
 */
export function loadPageParsers(): Promise<PageParsers> {
  return loadingParsers ??= Promise.all([
    import("../html/extract_page.ts"),
    import("./body_hash.ts"),
  ]).then(([page, hash]) =>
    parsers = {
      extractHtml: page.extractHtml,
      extractHtmlBytes: page.extractHtmlBytes,
      BodyHash: hash.BodyHash,
    }
  );
}

const HTML_TYPE = /^\s*(?:text\/html|application\/xhtml\+xml)\s*(?:;|$)/i;

const headersFor = new WeakMap<CrawlOptions, Headers>();

/** The request headers of a crawl, built once (fetchers only read them). */
function requestHeaders(options: CrawlOptions): Headers {
  let headers = headersFor.get(options);
  if (headers === undefined) {
    headers = new Headers({
      "user-agent": options.userAgent,
      accept: "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
    });
    headersFor.set(options, headers);
  }
  return headers;
}

/** Maps anything thrown by a request to a crawl error code. */
export function classifyError(e: unknown, deadline: AbortSignal): CrawlError {
  if (e instanceof CrawlError) return e;
  if (deadline.aborted && deadline.reason instanceof DeadlineError) {
    return new CrawlError("timeout", deadline.reason.message, { cause: e });
  }
  if (e instanceof NetError) {
    const code: CrawlErrorCode = e.code === "dns"
      ? "dns"
      : e.code === "blocked_port"
      ? "blocked_port"
      : e.code === "tls"
      ? "tls"
      : e.code === "connect_timeout"
      ? "timeout"
      : "blocked_address";
    return new CrawlError(code, e.message, { cause: e });
  }
  const msg = e instanceof Error ? e.message : String(e);
  return new CrawlError("network", msg || "Network error", { cause: e });
}

async function allowedByRobots(env: PageEnv, url: string, signal: AbortSignal): Promise<boolean> {
  if (!env.robots) return true;
  const rules = await env.robots.get(originOf(url), signal);
  env.onRobots(url, rules.crawlDelayMs(env.options.robotsAgent));
  // The address guard refused robots.txt: the URL is refused for the same reason.
  if (rules.refusal) throw rules.refusal;
  return rules.isAllowed(url, env.options.robotsAgent);
}

interface Fetched {
  res: Response;
  finalUrl: string;
}

async function fetchFollowing(
  env: PageEnv,
  url: string,
  headers: Headers,
  signal: AbortSignal,
  onBodyEnd?: (status: number, bytes?: number) => void,
): Promise<Fetched> {
  let chain: Set<string> | null = null; // made on the first redirect: most fetches have none
  let current = url;
  const init = { headers, signal, connectTimeoutMs: env.options.connectTimeoutMs, onBodyEnd };
  for (let hop = 0;; hop++) {
    const res = await env.fetcher(current, init);
    const location = res.headers.get("location");
    if (res.status < 300 || res.status >= 400 || res.status === 304 || location === null) {
      return { res, finalUrl: current };
    }
    await res.body?.cancel().catch(() => {});
    const next = normalizeUrl(location, current);
    if (next === null) {
      throw new CrawlError(
        "invalid_url",
        `Redirect from ${current} to invalid location ${location}`,
      );
    }
    if (hop >= env.options.maxRedirects) {
      throw new CrawlError(
        "too_many_redirects",
        `More than ${env.options.maxRedirects} redirects, last to ${next}`,
      );
    }
    chain ??= new Set([url]);
    if (chain.has(next)) throw new CrawlError("redirect_loop", `Redirect loop back to ${next}`);
    if (!inScope(env.scope, next)) {
      throw new CrawlError("out_of_scope", `Redirect to ${next} leaves the crawl scope`);
    }
    if (!await allowedByRobots(env, next, signal)) {
      throw new CrawlError("robots", `Redirect to ${next} is disallowed by robots.txt`);
    }
    chain.add(next);
    env.onRedirect(next);
    current = next;
  }
}

type Attempt =
  | { kind: "event"; event: PageEvent | ErrorEvent }
  | { kind: "retry"; waitMs: number };

async function attempt(
  task: Task,
  env: PageEnv,
  n: number,
  started: number,
  signal: AbortSignal,
  hooks: FetchHooks,
): Promise<Attempt> {
  const { options } = env;
  using deadline = deadlineSignal(options.timeoutMs, signal);
  const answerIn = hooks.onAnswerIn;
  try {
    const { res, finalUrl } = await fetchFollowing(
      env,
      task.url,
      requestHeaders(options),
      deadline.signal,
      // The answer that ends this attempt (not a redirect, not retried) is in: its
      // slot may go to the next request now, from the fetcher's own read.
      answerIn && ((status, bytes) => {
        if (
          (status < 300 || status >= 400) && !shouldRetry({ kind: "status", status }, n, options)
        ) {
          answerIn(bytes ?? 0);
        }
      }),
    );
    const answered: AttemptOutcome = {
      kind: "status",
      status: res.status,
      retryAfter: res.headers.get("retry-after"),
    };
    if (shouldRetry(answered, n, options)) {
      await res.body?.cancel().catch(() => {});
      return { kind: "retry", waitMs: retryDelayMs(answered, n, options) };
    }
    const contentType = res.headers.get("content-type") ?? "";
    const counter = { bytes: 0 };
    let title: string | null = null;
    let links: string[] = [];
    let meta: PageMeta | null = null;
    let contentHash: string | null = null;
    let content: string | null = null;
    let contentTruncated = false;
    const parse = res.status >= 200 && res.status < 300 &&
      (contentType === "" || HTML_TYPE.test(contentType));
    if (parse) {
      const received = hooks.onBodyReceived;
      const read = {
        maxBytes: options.maxBytes,
        counter,
        onEnd: received && (() => received(counter.bytes)),
      };
      const { extractHtml, extractHtmlBytes, BodyHash } = parsers ?? await loadPageParsers();
      const hash = new BodyHash();
      // A body the fetcher received whole (most pages) is parsed in one synchronous
      // pass: the same result as the stream of its one chunk, with no promise per step.
      const whole = env.parsePool ? null : takeWholeBody(res);
      let info;
      if (whole !== null) {
        countBody(whole.byteLength, counter, options.maxBytes);
        read.onEnd?.();
        hash.update(whole);
        info = extractHtmlBytes(whole, finalUrl, { contentType, content: options.content });
      } else {
        const bytes = hash.pass(bodyBytes(res, read));
        info = env.parsePool
          ? await env.parsePool.extract(bytes, contentType, finalUrl, deadline.signal, {
            content: options.content,
          })
          : await extractHtml(bytes, finalUrl, { contentType, content: options.content });
      }
      title = info.title;
      meta = withHeaderRobots(
        info.meta,
        headerRobots(res.headers.get("x-robots-tag"), options.robotsAgent),
      );
      // X-Robots-Tag: nofollow is honoured like <meta name=robots content=nofollow>.
      links = robotsNofollow(meta.robots) ? [] : info.links;
      contentHash = hash.hex();
      content = info.content;
      contentTruncated = info.contentTruncated;
    } else {
      await res.body?.cancel().catch(() => {});
    }
    return {
      kind: "event",
      event: {
        type: "page",
        url: task.url,
        finalUrl,
        status: res.status,
        depth: task.depth,
        parent: task.parent,
        contentType,
        title,
        links,
        bytes: counter.bytes,
        ms: Math.round(performance.now() - started),
        attempts: n,
        meta,
        contentHash,
        content,
        ...(content !== null ? { contentTruncated } : {}),
        ...(task.source ? { source: task.source, lastmod: task.lastmod ?? null } : {}),
      },
    };
  } catch (e) {
    if (signal.aborted) throw signal.reason;
    const err = classifyError(e, deadline.signal);
    const failed: AttemptOutcome = { kind: "error", code: err.code };
    if (shouldRetry(failed, n, options)) {
      return { kind: "retry", waitMs: retryDelayMs(failed, n, options) };
    }
    return {
      kind: "event",
      event: {
        type: "error",
        url: task.url,
        depth: task.depth,
        parent: task.parent,
        code: err.code,
        message: err.message,
        attempts: n,
        ...(task.source ? { source: task.source } : {}),
      },
    };
  }
}

/**
 * Fetches one task and returns its event. Rejects only when `signal` aborts
 * (the crawl was cancelled); every other failure is an `error` event.
 */
export async function fetchPage(
  task: Task,
  env: PageEnv,
  signal: AbortSignal,
  hooks: FetchHooks = {},
): Promise<CrawlEvent> {
  let allowed = true;
  try {
    // Without robots.txt there is nothing to wait for: no await, so the request
    // is written in the same turn as the dispatch (a hop would put it behind every
    // microtask queued meanwhile, e.g. other pages' parsing).
    if (env.robots !== null) allowed = await allowedByRobots(env, task.url, signal);
  } catch (e) {
    if (signal.aborted) throw signal.reason;
    const err = classifyError(e, signal);
    return {
      type: "error",
      url: task.url,
      depth: task.depth,
      parent: task.parent,
      code: err.code,
      message: err.message,
      attempts: 0,
    };
  }
  if (!allowed) {
    return {
      type: "skipped",
      url: task.url,
      reason: "robots",
      depth: task.depth,
      parent: task.parent,
      ...(task.source ? { source: task.source } : {}),
    };
  }
  const started = performance.now();
  for (let n = 1;; n++) {
    const r = await attempt(task, env, n, started, signal, hooks);
    if (r.kind === "event") return r.event;
    await delay(r.waitMs, signal);
  }
}
