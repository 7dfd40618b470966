/**
 * The service's Prometheus metrics, rendered in the text exposition format.
 *
 * @example
 * ```ts
 * import { Metrics } from "./metrics.ts";
 * const m = new Metrics();
 * m.observeEvent({ type: "error", url: "http://a.test/", depth: 0, parent: null, code: "timeout", message: "", attempts: 1 });
 * m.render({ jobs: {}, inFlight: 0, streams: 0 }).includes('skein_fetch_errors_total{code="timeout"} 1'); // true
 * ```
 * @module
 */
import type { CrawlEvent } from "../crawl/events.ts";

const BUCKETS_MS = [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];

/** Values read at scrape time. */
export interface MetricsSnapshot {
  jobs: Partial<Record<string, number>>;
  inFlight: number;
  streams: number;
}

/** Counters and a latency histogram; see the module doc. */
export class Metrics {
  pages = 0;
  bytes = 0;
  skipped = 0;
  errors = new Map<string, number>();
  #buckets = new Array<number>(BUCKETS_MS.length).fill(0);
  #count = 0;
  #sumMs = 0;
  httpRequests = new Map<string, number>();

  /** Counts one crawl event. */
  observeEvent(e: CrawlEvent): void {
    if (e.type === "page") {
      this.pages++;
      this.bytes += e.bytes;
      this.#count++;
      this.#sumMs += e.ms;
      for (let i = 0; i < BUCKETS_MS.length; i++) if (e.ms <= BUCKETS_MS[i]) this.#buckets[i]++;
    } else if (e.type === "error") {
      this.errors.set(e.code, (this.errors.get(e.code) ?? 0) + 1);
    } else if (e.type === "skipped") this.skipped++;
  }

  /** Counts one HTTP response by status class. */
  observeHttp(status: number): void {
    const k = `${Math.floor(status / 100)}xx`;
    this.httpRequests.set(k, (this.httpRequests.get(k) ?? 0) + 1);
  }

  /** The exposition text. */
  render(s: MetricsSnapshot): string {
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string) =>
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    metric("skein_jobs", "gauge", "Jobs by status.");
    for (const st of ["queued", "running", "completed", "cancelled", "failed"]) {
      lines.push(`skein_jobs{status="${st}"} ${s.jobs[st] ?? 0}`);
    }
    metric("skein_pages_fetched_total", "counter", "Pages fetched by this process.");
    lines.push(`skein_pages_fetched_total ${this.pages}`);
    metric("skein_bytes_fetched_total", "counter", "Decoded body bytes read by this process.");
    lines.push(`skein_bytes_fetched_total ${this.bytes}`);
    metric("skein_skipped_total", "counter", "URLs skipped by robots.txt.");
    lines.push(`skein_skipped_total ${this.skipped}`);
    metric("skein_fetch_errors_total", "counter", "Fetch errors by code.");
    for (const [code, n] of [...this.errors].sort()) {
      lines.push(`skein_fetch_errors_total{code="${code}"} ${n}`);
    }
    metric("skein_fetch_duration_ms", "histogram", "Time to fetch a page, in milliseconds.");
    BUCKETS_MS.forEach((b, i) =>
      lines.push(`skein_fetch_duration_ms_bucket{le="${b}"} ${this.#buckets[i]}`)
    );
    lines.push(`skein_fetch_duration_ms_bucket{le="+Inf"} ${this.#count}`);
    lines.push(
      `skein_fetch_duration_ms_sum ${this.#sumMs}`,
      `skein_fetch_duration_ms_count ${this.#count}`,
    );
    metric("skein_fetches_in_flight", "gauge", "Fetches in flight in this process.");
    lines.push(`skein_fetches_in_flight ${s.inFlight}`);
    metric("skein_streams_open", "gauge", "NDJSON streams open.");
    lines.push(`skein_streams_open ${s.streams}`);
    metric("skein_http_responses_total", "counter", "HTTP responses by status class.");
    for (const [k, n] of [...this.httpRequests].sort()) {
      lines.push(`skein_http_responses_total{class="${k}"} ${n}`);
    }
    return lines.join("\n") + "\n";
  }
}
