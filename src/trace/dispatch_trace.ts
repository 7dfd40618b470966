/**
 * Where a crawl's dispatch lag goes, measured from inside (`SKEIN_TRACE=1`
 * on the CLI): four timestamps per request, the event loop's delay, and a
 * summary at the end.
 *
 * With concurrency `c`, request `j` (in order of dispatch) can only start
 * once answer `j - c` is in, so when the crawl is saturated the time from
 * the `k`-th answer to the `(k + c)`-th request is the time a slot stood
 * empty. The stages, each a sorted list of `performance.now()` stamps:
 *
 * - `bodyEnd`: the client read the last byte of an answer (`http_client.ts`);
 * - `slotFree`: the crawl gave the fetch slot back (`crawl.ts`);
 * - `dispatch`: the dispatcher started the next task (`crawl.ts`);
 * - `write`: the client wrote the request to the socket (`http_client.ts`).
 *
 * Stamps are paired by rank (the `k`-th of one list with the `k`-th, or
 * `(k + c)`-th, of the next), which is exact while the stages keep order and
 * close to it otherwise. Tracing is off unless {@linkcode startTrace} was
 * called: the hot paths then test one variable against `null`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startTrace, stopTrace, trace } from "./dispatch_trace.ts";
 * startTrace();
 * trace!.stamp("dispatch");
 * trace!.stamp("write");
 * const summary = stopTrace(1);
 * assert.equal(summary?.requests, 1);
 * ```
 * @module
 */
/** A traced moment in a request's life; see the module doc. */
export type TraceStage = "bodyEnd" | "slotFree" | "dispatch" | "write";

/** Distribution of one lag, in ms. */
export interface LagStats {
  n: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
}

/** What {@linkcode stopTrace} returns. */
export interface TraceSummary {
  /** Requests written. */
  requests: number;
  /** Answer's last byte read → slot given back. */
  bodyEndToSlotFree: LagStats | null;
  /** Slot given back → the task that took it started (dispatcher, frontier). */
  slotFreeToDispatch: LagStats | null;
  /** Task started → its request written (robots, DNS, pool, encoding), past the first wave. */
  dispatchToWrite: LagStats | null;
  /** Answer's last byte read → the next request written: the whole lag seen from inside. */
  bodyEndToWrite: LagStats | null;
  /**
   * The first wave: from the first answer (the seed's) to the `c`-th task
   * started and the `c`-th request written after it, in ms (`null` when the
   * crawl never had `c` requests after its first answer).
   */
  firstWave: { dispatched: number; written: number } | null;
  /**
   * Event-loop delay, in ms: how late a 10 ms timer fired, sampled all along
   * (what `monitorEventLoopDelay` measures; `node:perf_hooks` is not loaded
   * for it, so that tracing off costs no start-up time).
   */
  eventLoopDelay: { p50: number; p99: number; max: number; mean: number };
  /** Traced span, ms. */
  ms: number;
}

/** Period of the event-loop delay sampler, ms. */
const SAMPLE_MS = 10;

/** A sampler timer that does not keep the process alive. */
function unrefTimeout(fn: () => void): ReturnType<typeof setTimeout> {
  const t = setTimeout(fn, SAMPLE_MS);
  Deno.unrefTimer(t as unknown as number);
  return t;
}

/** The stamps of a traced crawl. */
export class DispatchTrace {
  readonly stamps: Record<TraceStage, number[]> = {
    bodyEnd: [],
    slotFree: [],
    dispatch: [],
    write: [],
  };
  readonly #started = performance.now();
  readonly #delays: number[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    let due = performance.now() + SAMPLE_MS;
    const tick = () => {
      const now = performance.now();
      this.#delays.push(Math.max(0, now - due));
      due = now + SAMPLE_MS;
      this.#timer = unrefTimeout(tick);
    };
    this.#timer = unrefTimeout(tick);
  }

  /** Records that a request reached `stage` now. */
  stamp(stage: TraceStage): void {
    this.stamps[stage].push(performance.now());
  }

  /** Stops sampling and summarizes, for a crawl of concurrency `c`. */
  summary(c: number): TraceSummary {
    clearTimeout(this.#timer);
    const s = this.stamps;
    for (const list of Object.values(s)) list.sort((a, b) => a - b);
    const d = this.#delays.sort((a, b) => a - b);
    const q = (x: number) =>
      d.length === 0 ? 0 : round(d[Math.min(d.length - 1, Math.floor(x * d.length))]);
    return {
      requests: s.write.length,
      bodyEndToSlotFree: lags(s.bodyEnd, s.slotFree, 0),
      slotFreeToDispatch: lags(s.slotFree, s.dispatch, c),
      // Past the first c + 1 (the seed and the first wave open their connections).
      dispatchToWrite: lags(s.dispatch.slice(c + 1), s.write.slice(c + 1), 0),
      bodyEndToWrite: lags(s.bodyEnd, s.write, c),
      firstWave: s.bodyEnd.length > 0 && s.write.length > c
        ? {
          dispatched: round(s.dispatch[c] - s.bodyEnd[0]),
          written: round(s.write[c] - s.bodyEnd[0]),
        }
        : null,
      eventLoopDelay: {
        p50: q(0.5),
        p99: q(0.99),
        max: round(d.at(-1) ?? 0),
        mean: round(d.reduce((a, b) => a + b, 0) / Math.max(1, d.length)),
      },
      ms: Math.round(performance.now() - this.#started),
    };
  }
}

/** `to[k + shift] - from[k]` over both sorted lists, summarized; `null` when none pair. */
export function lags(from: number[], to: number[], shift: number): LagStats | null {
  const d: number[] = [];
  for (let k = 0; k < from.length && k + shift < to.length; k++) d.push(to[k + shift] - from[k]);
  if (d.length === 0) return null;
  const mean = d.reduce((a, b) => a + b, 0) / d.length;
  d.sort((a, b) => a - b);
  const at = (q: number) => round(d[Math.min(d.length - 1, Math.floor(q * d.length))]);
  return { n: d.length, mean: round(mean), p50: at(0.5), p90: at(0.9), p99: at(0.99) };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/** The active trace, `null` when tracing is off (the usual case). */
export let trace: DispatchTrace | null = null;

/** Starts tracing (replacing any trace already running). */
export function startTrace(): DispatchTrace {
  trace = new DispatchTrace();
  return trace;
}

/** Stops tracing and returns its summary for concurrency `c`, or `null` if none ran. */
export function stopTrace(c: number): TraceSummary | null {
  const t = trace;
  trace = null;
  return t === null ? null : t.summary(c);
}
