/**
 * The coordinator's decision that a shared job is over, as a pure step: on
 * each tick it looks at the live members' records (every host already found
 * released); the job is over once a look confirms the one before it, or at
 * once when no other member holds a lease (nothing can change behind its
 * back: a member that joins now finds every host released and, looked at
 * last by the caller, every queue empty).
 *
 * @example
 * ```ts
 * import { finishStep } from "./finish_check.ts";
 * const step = finishStep(null, 7, []);
 * // step.confirmed === true: alone on the job, one look is enough
 * ```
 * @module
 */
import type { MemberState } from "../store/store.ts";

/** What the last look saw: this process's `work` and the other members' records. */
export interface FinishLook {
  work: number;
  members: Map<string, MemberState>;
}

/** What a look decides: confirmed (the caller checks the queues last), or the look to keep. */
export type FinishStep =
  | { confirmed: true; look: null }
  | { confirmed: false; look: FinishLook | null };

/**
 * One look: `prev` is the look kept from the last tick (`null` at first),
 * `work` this process's work counter, `others` the other live members'
 * records, all idle. Another look is needed while a member joined or did
 * something since `prev` (the look starts over), or has not renewed its
 * record since (it may be older than its last work).
 */
export function finishStep(
  prev: FinishLook | null,
  work: number,
  others: MemberState[],
): FinishStep {
  if (others.length === 0) return { confirmed: true, look: null };
  const now: FinishLook = { work, members: new Map(others.map((m) => [m.owner, m])) };
  if (prev === null || prev.work !== work) return { confirmed: false, look: now };
  for (const m of others) {
    const before = prev.members.get(m.owner);
    if (before === undefined || before.work !== m.work) return { confirmed: false, look: now };
    if (m.leaseUntil.getTime() <= before.leaseUntil.getTime()) {
      return { confirmed: false, look: prev };
    }
  }
  return { confirmed: true, look: null };
}
