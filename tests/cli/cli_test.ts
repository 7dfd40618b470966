/**
 * `deno task crawl` and `cli.ts` as real processes: signals, exit codes and
 * what reaches stdout and stderr.
 */
import assert from "node:assert/strict";
import { startFixtureServer } from "../../fixtures/server.ts";
import type { CrawlEvent } from "../../src/crawl/events.ts";
import { waitUntil } from "../_wait_until.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const CLI = new URL("../../cli.ts", import.meta.url).pathname;
/** The CLI's promise: Ctrl-C stops the crawl within a second. */
const CTRL_C_PROMISE_MS = 1000;
/** How long a test waits for an exit before it kills the child and fails. */
const EXIT_DEADLINE_MS = 20_000;

function events(ndjson: string): CrawlEvent[] {
  return ndjson.trim().split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
}

/** Waits for the child's output; kills it (its group when `group`) after the deadline. */
async function outputWithin(
  child: Deno.ChildProcess,
  group: boolean,
): Promise<Deno.CommandOutput> {
  const killer = setTimeout(() => {
    try {
      Deno.kill(group ? -child.pid : child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }, EXIT_DEADLINE_MS);
  try {
    const out = await child.output();
    assert.notEqual(out.signal, "SIGKILL", `no exit within ${EXIT_DEADLINE_MS} ms`);
    return out;
  } finally {
    clearTimeout(killer);
  }
}

Deno.test("deno task crawl: Ctrl-C stops within a second, prints done, exits 130", async () => {
  await using srv = startFixtureServer();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-sys",
      CLI,
      "--ignore-robots",
      `${srv.origin}/h/fanout?n=40&ms=20000`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out: Deno.CommandOutput;
  let elapsed: number;
  try {
    // Under way: the fan-out page and some of its slow links have been requested.
    await waitUntil(() => srv.hits.size >= 3, "the crawl is under way", { timeoutMs: 30_000 });
  } finally {
    const t0 = performance.now();
    child.kill("SIGINT");
    out = await outputWithin(child, false);
    elapsed = performance.now() - t0;
  }
  assert.equal(out.code, 130);
  assert.ok(elapsed < CTRL_C_PROMISE_MS, `stopped in ${Math.round(elapsed)} ms`);
  const last = events(new TextDecoder().decode(out.stdout)).at(-1);
  assert.equal(last?.type === "done" && last.reason, "aborted");
});

Deno.test("deno task crawl: Ctrl-C sent to the process group (as a terminal does) still writes done", async () => {
  // A terminal sends SIGINT to the whole foreground group, and `deno task`
  // forwards it to the crawler again: two signals milliseconds apart, which
  // must count as one Ctrl-C, not as "force quit" (5 of 8 tries lost `done`).
  await using srv = startFixtureServer();
  const tries = 4;
  for (let i = 0; i < tries; i++) {
    srv.reset();
    const child = new Deno.Command(Deno.execPath(), {
      args: ["task", "--quiet", "crawl", "--ignore-robots", `${srv.origin}/h/fanout?n=40&ms=20000`],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
      // Its own process group (setsid), so the test can signal the group.
      detached: true,
    }).spawn();
    let out: Deno.CommandOutput;
    let elapsed: number;
    try {
      await waitUntil(() => srv.hits.size >= 3, `try ${i + 1}: the crawl is under way`, {
        timeoutMs: 30_000,
      });
    } finally {
      const t0 = performance.now();
      Deno.kill(-child.pid, "SIGINT");
      out = await outputWithin(child, true);
      elapsed = performance.now() - t0;
    }
    const stdout = new TextDecoder().decode(out.stdout);
    const last = events(stdout).at(-1);
    assert.equal(
      last?.type === "done" && last.reason,
      "aborted",
      `try ${i + 1}: last line ${stdout.trim().split("\n").at(-1)?.slice(0, 120)}`,
    );
    assert.equal(out.code, 130, `try ${i + 1}: exit code`);
    assert.ok(elapsed < CTRL_C_PROMISE_MS, `try ${i + 1}: stopped in ${Math.round(elapsed)} ms`);
  }
});

Deno.test("deno task crawl: a bad flag exits 2 with a usage message", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", CLI, "--max-depth"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 2);
  assert.match(new TextDecoder().decode(out.stderr), /Usage: deno task crawl/);
});
