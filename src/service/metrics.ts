/**
 * The service's Prometheus metrics, rendered in the text exposition format
 * (0.0.4) the way Prometheus expects them: base units (`_seconds`, `_bytes`),
 * `_total` on counters, `HELP` and `TYPE` for each, and only bounded labels
 * (job status, error code, status class; never a URL or a job id).
 *
 * | metric | type | what |
 * |---|---|---|
 * | `skein_jobs{status}` | gauge | jobs in the store by status |
 * | `skein_pages_fetched_total` | counter | pages fetched by this process |
 * | `skein_fetched_body_bytes_total` | counter | decoded body bytes read |
 * | `skein_urls_skipped_total` | counter | URLs skipped by robots.txt |
 * | `skein_fetch_errors_total{code}` | counter | fetch errors by code |
 * | `skein_fetch_duration_seconds` | histogram | time to fetch a page |
 * | `skein_pages_per_second` | gauge | pages fetched per second over the last minute |
 * | `skein_frontier_queued_urls` | gauge | URLs waiting in this process's running jobs (queue depth) |
 * | `skein_fetches_in_flight` | gauge | fetches in flight in this process |
 * | `skein_store_write_duration_seconds` | histogram | one batch write of a job's events to the database |
 * | `skein_lease_renewals_failed_total` | counter | lease renewals that failed or found the lease lost |
 * | `skein_streams_open` | gauge | NDJSON streams open |
 * | `skein_http_responses_total{class}` | counter | HTTP answers by status class |
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Metrics } from "./metrics.ts";
 * const m = new Metrics();
 * m.observeEvent({ type: "error", url: "http://a.test/", depth: 0, parent: null, code: "timeout", message: "", attempts: 1 });
 * const text = m.render({ jobs: {}, inFlight: 0, queuedUrls: 0, streams: 0 });
 * assert.ok(text.includes('skein_fetch_errors_total{code="timeout"} 1'));
 * ```
 * @module
 */
import type { CrawlEvent } from "../crawl/events.ts";

/** Fetch latency buckets, in seconds (10 ms to 30 s). */
const FETCH_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Database write latency buckets, in seconds (1 ms to 10 s). */
const WRITE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];
/** The window of `skein_pages_per_second`. */
const RATE_WINDOW_S = 60;
const JOB_STATUSES = ["queued", "running", "completed", "cancelled", "failed"];

/** Values read at scrape time. */
export interface MetricsSnapshot {
  /** Jobs by status, from the store. */
  jobs: Partial<Record<string, number>>;
  /** Fetches in flight across this process's jobs. */
  inFlight: number;
  /** URLs waiting in the frontiers of this process's running jobs. */
  queuedUrls: number;
  /** NDJSON streams open. */
  streams: number;
}

/** Settings of {@linkcode Metrics}. */
export interface MetricsOptions {
  /** The clock, in ms, for the pages-per-second window. @default Date.now */
  now?: () => number;
}

class Histogram {
  readonly buckets: readonly number[];
  readonly counts: number[];
  count = 0;
  sum = 0;
  constructor(buckets: readonly number[]) {
    this.buckets = buckets;
    this.counts = new Array<number>(buckets.length).fill(0);
  }
  observe(v: number): void {
    this.count++;
    this.sum += v;
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]) this.counts[i]++;
  }
  lines(name: string): string[] {
    const out = this.buckets.map((b, i) => `${name}_bucket{le="${b}"} ${this.counts[i]}`);
    out.push(`${name}_bucket{le="+Inf"} ${this.count}`);
    out.push(`${name}_sum ${this.sum}`, `${name}_count ${this.count}`);
    return out;
  }
}

/** Counters, histograms and the gauges read at scrape time; see the module doc. */
export class Metrics {
  /** Pages fetched by this process. */
  pages = 0;
  /** Decoded body bytes read by this process. */
  bytes = 0;
  /** URLs skipped by robots.txt. */
  skipped = 0;
  /** Fetch errors by code. */
  errors: Map<string, number> = new Map();
  /** HTTP answers by status class (`2xx`...). */
  httpResponses: Map<string, number> = new Map();
  /** Lease renewals that failed. */
  leaseRenewalsFailed = 0;
  #fetch = new Histogram(FETCH_BUCKETS);
  #writes = new Histogram(WRITE_BUCKETS);
  #now: () => number;
  /** Pages per second of the last {@linkcode RATE_WINDOW_S} seconds, a ring indexed by second. */
  #perSecond = new Array<number>(RATE_WINDOW_S).fill(0);
  #second = 0;

  constructor(options: MetricsOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#second = Math.floor(this.#now() / 1000);
  }

  /** Counts one crawl event. */
  observeEvent(e: CrawlEvent): void {
    if (e.type === "page") {
      this.pages++;
      this.bytes += e.bytes;
      this.#fetch.observe(e.ms / 1000);
      this.#advance();
      this.#perSecond[this.#second % RATE_WINDOW_S]++;
    } else if (e.type === "error") {
      this.errors.set(e.code, (this.errors.get(e.code) ?? 0) + 1);
    } else if (e.type === "skipped") this.skipped++;
  }

  /** Counts one HTTP response by status class. */
  observeHttp(status: number): void {
    const k = `${Math.floor(status / 100)}xx`;
    this.httpResponses.set(k, (this.httpResponses.get(k) ?? 0) + 1);
  }

  /** Records how long one database write took, in seconds. */
  observeStoreWrite(seconds: number): void {
    this.#writes.observe(seconds);
  }

  /** Runs one database write and records how long it took, whether it succeeded or not. */
  async timeStoreWrite<T>(write: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await write();
    } finally {
      this.observeStoreWrite((performance.now() - t0) / 1000);
    }
  }

  /** Counts a lease renewal that failed (database error, or the lease was lost). */
  leaseRenewalFailed(): void {
    this.leaseRenewalsFailed++;
  }

  /** Pages fetched per second, averaged over the last minute. */
  pagesPerSecond(): number {
    this.#advance();
    let n = 0;
    for (const c of this.#perSecond) n += c;
    return n / RATE_WINDOW_S;
  }

  /** Moves the ring to the current second, clearing the seconds that passed. */
  #advance(): void {
    const now = Math.floor(this.#now() / 1000);
    const steps = Math.min(now - this.#second, RATE_WINDOW_S);
    for (let i = 1; i <= steps; i++) this.#perSecond[(this.#second + i) % RATE_WINDOW_S] = 0;
    if (now > this.#second) this.#second = now;
  }

  /** The exposition text. */
  render(s: MetricsSnapshot): string {
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string, ...samples: string[]) =>
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples);
    metric(
      "skein_jobs",
      "gauge",
      "Jobs in the store by status.",
      ...JOB_STATUSES.map((st) => `skein_jobs{status="${st}"} ${s.jobs[st] ?? 0}`),
    );
    metric(
      "skein_pages_fetched_total",
      "counter",
      "Pages fetched by this process.",
      `skein_pages_fetched_total ${this.pages}`,
    );
    metric(
      "skein_fetched_body_bytes_total",
      "counter",
      "Decoded body bytes read by this process.",
      `skein_fetched_body_bytes_total ${this.bytes}`,
    );
    metric(
      "skein_urls_skipped_total",
      "counter",
      "URLs skipped by robots.txt.",
      `skein_urls_skipped_total ${this.skipped}`,
    );
    metric(
      "skein_fetch_errors_total",
      "counter",
      "Fetch errors by code.",
      ...[...this.errors].sort().map(([code, n]) =>
        `skein_fetch_errors_total{code="${code}"} ${n}`
      ),
    );
    metric(
      "skein_fetch_duration_seconds",
      "histogram",
      "Time to fetch a page, retries included.",
      ...this.#fetch.lines("skein_fetch_duration_seconds"),
    );
    metric(
      "skein_pages_per_second",
      "gauge",
      "Pages fetched per second by this process, averaged over the last minute.",
      `skein_pages_per_second ${this.pagesPerSecond()}`,
    );
    metric(
      "skein_frontier_queued_urls",
      "gauge",
      "URLs waiting to be fetched in the jobs this process runs (queue depth).",
      `skein_frontier_queued_urls ${s.queuedUrls}`,
    );
    metric(
      "skein_fetches_in_flight",
      "gauge",
      "Fetches in flight in this process.",
      `skein_fetches_in_flight ${s.inFlight}`,
    );
    metric(
      "skein_store_write_duration_seconds",
      "histogram",
      "Time of one batch write of a job's events, pages and frontier to the database.",
      ...this.#writes.lines("skein_store_write_duration_seconds"),
    );
    metric(
      "skein_lease_renewals_failed_total",
      "counter",
      "Job lease renewals that failed or found the lease taken.",
      `skein_lease_renewals_failed_total ${this.leaseRenewalsFailed}`,
    );
    metric(
      "skein_streams_open",
      "gauge",
      "NDJSON streams open.",
      `skein_streams_open ${s.streams}`,
    );
    metric(
      "skein_http_responses_total",
      "counter",
      "HTTP responses by status class.",
      ...[...this.httpResponses].sort().map(([k, n]) =>
        `skein_http_responses_total{class="${k}"} ${n}`
      ),
    );
    return lines.join("\n") + "\n";
  }
}
