/**
 * The claim protocol: how exactly one process takes a job, on MongoDB and on
 * FerretDB alike.
 *
 * `findOneAndUpdate` alone is atomic on MongoDB but not on FerretDB 1.x (it
 * reads, then writes by `_id`), where two processes could both win one job.
 * So a claim first inserts a token `<jobId>#<gen>` into `claims`, `gen` being
 * one past the job's `claims` generation: the unique `_id` lets exactly one
 * claimer insert it on either server. Only the winner then sets `owner`,
 * `leaseUntil` and the new generation on the job. A token whose claimer died
 * before that is stale once its lease would have run out; the next claimer
 * then tries the following generation.
 *
 * @example
 * ```ts ignore
 * const job = await claimJob({ jobs, claims, run, serial }, "worker-1", 30_000, new Date());
 * ```
 * @module
 */
import type { Collection } from "mongodb";
import { StoreError } from "../store.ts";
import type { RunOp } from "./batch_write.ts";
import type { ClaimRecord, JobRecord } from "./records.ts";

/** How many claimable jobs one `claimJob` call tries before giving up. */
const CLAIM_CANDIDATES = 16;
/** How many claim tokens past a job's generation one attempt may skip (stale ones). */
const CLAIM_SKIPS = 4;

/** What the claim protocol works on. */
export interface ClaimParts {
  jobs: Collection<JobRecord>;
  claims: Collection<ClaimRecord>;
  /** Runs one driver call, mapping failures to `StoreError`s. */
  run: RunOp;
  /** Like `run`, after the store's earlier updates of job documents. */
  serial: RunOp;
}

/** Takes the oldest claimable job (or job `only`) for `owner` until `now + leaseMs`; the job record after the claim. */
export async function claimJob(
  parts: ClaimParts,
  owner: string,
  leaseMs: number,
  now: Date,
  only?: string,
): Promise<JobRecord | null> {
  const { jobs, claims, run, serial } = parts;
  const leaseUntil = new Date(now.getTime() + leaseMs);
  const candidates = await run("claim job", () =>
    jobs.find(
      {
        ...(only === undefined ? {} : { _id: only }),
        status: { $in: ["queued", "running"] },
        $or: [{ owner: null }, { leaseUntil: null }, { leaseUntil: { $lte: now } }],
      },
      { sort: { createdAt: 1, _id: 1 }, limit: CLAIM_CANDIDATES, projection: { claims: 1 } },
    ).toArray());
  for (const candidate of candidates) {
    const jobId = candidate._id;
    const current = candidate.claims;
    const gen = await takeToken(parts, jobId, current, owner, leaseUntil, now);
    if (gen === null) continue;
    const doc = await serial("claim job", () =>
      jobs.findOneAndUpdate(
        { _id: jobId, claims: current, status: { $in: ["queued", "running"] } },
        { $set: { owner, leaseUntil, updatedAt: now, claims: gen } },
        { returnDocument: "after" },
      ));
    if (doc) {
      await run("claim job", () => claims.deleteMany({ jobId, gen: { $lt: gen } }));
      return doc;
    }
    await run("claim job", () => claims.deleteOne({ _id: `${jobId}#${gen}` }));
  }
  return null;
}

/** Inserts the next free claim token of a job: its generation, or `null` when one is held. */
async function takeToken(
  parts: ClaimParts,
  jobId: string,
  current: number,
  owner: string,
  leaseUntil: Date,
  now: Date,
): Promise<number | null> {
  const { claims, run } = parts;
  for (let gen = current + 1; gen <= current + CLAIM_SKIPS; gen++) {
    const _id = `${jobId}#${gen}`;
    try {
      await run("claim job", () => claims.insertOne({ _id, jobId, gen, owner, leaseUntil }));
      return gen;
    } catch (e) {
      if (!(e instanceof StoreError && e.code === "duplicate")) throw e;
    }
    const held = await run("claim job", () => claims.findOne({ _id }));
    if (held && held.leaseUntil.getTime() > now.getTime()) return null;
  }
  return null;
}
