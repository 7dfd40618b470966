/**
 * Tells when a crawl spread over shards has ended: every shard idle and no
 * task on its way between two of them. Each shard reports the tasks it has
 * sent to and received from the others whenever it goes idle (see
 * `shard_router.ts`); a shard only becomes busy again by receiving tasks.
 * Once every shard's last report is idle and the sums balance, a probe asks
 * each for its counts again (answered when idle); if no count changed in
 * between, no shard received anything in between, so none was busy and
 * nothing was in flight: the crawl has ended (Mattern's four-counter method).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Quiescence } from "./quiescence.ts";
 * const probes: number[] = [];
 * let ended = false;
 * const q = new Quiescence(2, (wave) => probes.push(wave), () => (ended = true));
 * q.report(0, { sent: 1, recv: 0, wave: 0 });
 * q.report(1, { sent: 0, recv: 1, wave: 0 });
 * assert.deepEqual(probes, [1]);
 * q.report(0, { sent: 1, recv: 0, wave: 1 });
 * q.report(1, { sent: 0, recv: 1, wave: 1 });
 * assert.equal(ended, true);
 * ```
 * @module
 */

/** A shard's counts, as reported at an idle moment. */
export interface IdleReport {
  /** Tasks it has sent to other shards. */
  sent: number;
  /** Tasks it has received from other shards. */
  recv: number;
  /** The probe this answers, or 0 when the shard went idle by itself. */
  wave: number;
}

/** See the module doc. */
export class Quiescence {
  #latest: (IdleReport | null)[];
  #snapshot: (IdleReport | null)[] = [];
  #replies: (IdleReport | null)[] = [];
  #wave = 0;
  #probing = false;
  #ended = false;
  #probe: (wave: number) => void;
  #onEnd: () => void;

  /**
   * @param shards how many shards report
   * @param probe asks every shard for its counts, tagged with `wave`
   * @param onEnd called once, when the crawl has ended
   */
  constructor(shards: number, probe: (wave: number) => void, onEnd: () => void) {
    this.#latest = Array.from({ length: shards }, () => null);
    this.#probe = probe;
    this.#onEnd = onEnd;
  }

  /** Whether the end was found. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Takes a shard's report (it is idle now). */
  report(shard: number, r: IdleReport): void {
    if (this.#ended) return;
    this.#latest[shard] = r;
    if (this.#probing && r.wave === this.#wave) {
      this.#replies[shard] = r;
      if (this.#replies.some((x) => x === null)) return;
      this.#probing = false;
      const same = this.#replies.every((x, i) =>
        x!.sent === this.#snapshot[i]!.sent && x!.recv === this.#snapshot[i]!.recv
      );
      if (same && balanced(this.#replies)) {
        this.#ended = true;
        this.#onEnd();
        return;
      }
    }
    if (this.#probing || this.#latest.some((x) => x === null) || !balanced(this.#latest)) return;
    this.#snapshot = [...this.#latest];
    this.#replies = this.#latest.map(() => null);
    this.#probing = true;
    this.#probe(++this.#wave);
  }
}

function balanced(reports: (IdleReport | null)[]): boolean {
  let sent = 0, recv = 0;
  for (const r of reports) {
    sent += r!.sent;
    recv += r!.recv;
  }
  return sent === recv;
}
