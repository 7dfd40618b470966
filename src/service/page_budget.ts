/**
 * A shared job's `maxPages`, held exactly across workers: the budget is cut
 * into blocks, and a worker admits URLs only under a block it took. Taking a
 * block is inserting its token (`budget <id>`), which one process wins on
 * MongoDB and FerretDB alike; giving it back is inserting `bclose <id>` with
 * the units used, after which the rest is block `<id>r`, for anyone to take.
 * A dead worker's open block is closed by whoever finds it, with the units
 * counted from the frontier entries admitted under it. Every unit is thus
 * spent at most once, and no unit is lost.
 *
 * Blocks are `maxPages / 16` units (1 to 10,000): small enough that a worker
 * holds little that others could use, large enough that taking them is rare
 * (a page of 1,000 links needs a tenth of one).
 *
 * @example
 * ```ts ignore
 * const budget = new PageBudget(store, jobId, "p1/ab12", 1000);
 * const block = await budget.take(); // { id: "0", left: 63 }, "wait" or null
 * ```
 * @module
 */
import type { Store, Token } from "../store/store.ts";

/** A block this worker admits under. */
export interface BudgetBlock {
  /** The block's id (`"3"`, or `"3r"` for the rest of block 3 after its first holder). */
  id: string;
  /** Units left in it. */
  left: number;
}

/** Units in a fresh block of a budget of `maxPages`. */
export function blockSize(maxPages: number): number {
  return Math.max(1, Math.min(10_000, Math.ceil(maxPages / 16)));
}

/** See the module doc. */
export class PageBudget {
  #store: Store;
  #jobId: string;
  #owner: string;
  #maxPages: number;
  #block: { id: string; size: number; used: number } | null = null;

  /** A budget of `maxPages` for job `jobId`, taken in blocks by member `owner`. */
  constructor(store: Store, jobId: string, owner: string, maxPages: number) {
    this.#store = store;
    this.#jobId = jobId;
    this.#owner = owner;
    this.#maxPages = maxPages;
  }

  /** Whether this worker holds a block now. */
  get holding(): boolean {
    return this.#block !== null;
  }

  /**
   * A block with units left: the one held, or a newly taken one. `"wait"`
   * when every unit left is in blocks other live workers hold; `null` when the
   * budget is spent.
   */
  async take(): Promise<BudgetBlock | "wait" | null> {
    const b = this.#block;
    if (b && b.used < b.size) return { id: b.id, left: b.size - b.used };
    if (b) await this.close();
    for (let round = 0; round < 3; round++) {
      const [blocks, closes] = await Promise.all([
        this.#store.listTokens(this.#jobId, "budget"),
        this.#store.listTokens(this.#jobId, "bclose"),
      ]);
      const taken = new Map(blocks.map((t) => [t.key, t]));
      const closed = new Map(closes.map((t) => [t.key, Number(t.data.used)]));
      const size = blockSize(this.#maxPages);
      const free: { id: string; size: number }[] = [];
      for (const [id, used] of closed) {
        const total = Number(taken.get(id)?.data.size ?? 0);
        if (used < total && !taken.has(`${id}r`)) free.push({ id: `${id}r`, size: total - used });
      }
      const fresh = Math.ceil(this.#maxPages / size);
      for (let k = 0; k < fresh && free.length < 8; k++) {
        if (!taken.has(String(k))) {
          free.push({ id: String(k), size: Math.min(size, this.#maxPages - k * size) });
        }
      }
      for (const f of free) {
        const token: Token = {
          kind: "budget",
          key: f.id,
          owner: this.#owner,
          data: { size: f.size },
          at: new Date(),
        };
        if (await this.#store.putToken(this.#jobId, token)) {
          this.#block = { id: f.id, size: f.size, used: 0 };
          return { id: f.id, left: f.size };
        }
      }
      // None free: blocks held by dead workers are closed here, then look again.
      let open = false;
      let recovered = false;
      const members = new Map(
        (await this.#store.listMembers(this.#jobId)).map((m) => [m.owner, m.leaseUntil]),
      );
      const dead = (owner: string | null) =>
        owner !== null && (members.get(owner)?.getTime() ?? Infinity) <= Date.now();
      for (const t of taken.values()) {
        if (closed.has(t.key) || t.owner === this.#owner) continue;
        if (!dead(t.owner)) {
          open = true;
          continue;
        }
        const used = await this.#store.countAdmitted(this.#jobId, t.key);
        await this.#putClose(t.key, used);
        recovered = true;
      }
      if (!recovered) return open || free.length > 0 ? "wait" : null;
    }
    return "wait";
  }

  /** Counts `n` URLs admitted under the held block. */
  use(n: number): void {
    if (this.#block) this.#block.used += n;
  }

  /** Gives the held block back (what it did not use becomes block `<id>r`). */
  async close(): Promise<void> {
    const b = this.#block;
    if (!b) return;
    await this.#putClose(b.id, b.used);
    this.#block = null;
  }

  async #putClose(id: string, used: number): Promise<void> {
    await this.#store.putToken(this.#jobId, {
      kind: "bclose",
      key: id,
      owner: this.#owner,
      data: { used },
      at: new Date(),
    });
  }
}
