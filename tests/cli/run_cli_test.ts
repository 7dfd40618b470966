import assert from "node:assert/strict";
import { type CliIo, EXIT, runCli } from "../../src/cli/run_cli.ts";
import { startFixtureServer } from "../../fixtures/server.ts";
import type { CrawlEvent } from "../../src/crawl/events.ts";
import { makeCliFetcher } from "../../src/cli/make_cli_fetcher.ts";

interface FakeIo extends CliIo {
  out(): string;
  err(): string;
}

function fakeIo(stdin = "", signal?: AbortSignal): FakeIo {
  const chunks: Uint8Array[] = [];
  let err = "";
  return {
    stdout: new WritableStream({ write: (c) => void chunks.push(c) }),
    stderr: (t) => void (err += t),
    stderrIsTerminal: false,
    readStdin: () => Promise.resolve(stdin),
    readFile: (p) => Deno.readTextFile(p),
    openOut: async (p) =>
      (await Deno.open(p, { write: true, create: true, truncate: true })).writable,
    signal,
    makeFetcher: makeCliFetcher,
    out: () => new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c]))),
    err: () => err,
  };
}

function events(ndjson: string): CrawlEvent[] {
  return ndjson.trim().split("\n").map((l) => JSON.parse(l));
}

Deno.test("runCli() exits 2 with usage on a bad flag or URL, and without any URL", async () => {
  for (
    const argv of [["--bogus"], ["ftp://a.test/"], [], [
      "--deny-private",
      "--allow-nets",
      "nope",
      "http://a.test/",
    ]]
  ) {
    const io = fakeIo();
    assert.equal(await runCli(argv, io), EXIT.usage, argv.join(" "));
    assert.match(io.err(), /error: /);
    assert.equal(io.out(), "");
  }
});

Deno.test("runCli() --help prints the usage on stdout and exits 0", async () => {
  const io = fakeIo();
  assert.equal(await runCli(["--help"], io), EXIT.ok);
  assert.match(io.out(), /Usage: deno task crawl/);
  assert.match(io.out(), /--max-pages/);
});

Deno.test("runCli() writes NDJSON events ending in done, and a summary on stderr", async () => {
  await using srv = startFixtureServer();
  const io = fakeIo();
  const code = await runCli(["--max-depth", "1", `${srv.origin}/index.html`], io);
  assert.equal(code, EXIT.ok);
  const evs = events(io.out());
  assert.equal(evs.at(-1)?.type, "done");
  assert.equal(evs.filter((e) => e.type === "page").length, 6);
  assert.match(io.err(), /^done: 6 pages, 0 errors, 1 skipped/);
});

Deno.test("runCli() with trace on writes a trace line with the lag breakdown to stderr", async () => {
  await using srv = startFixtureServer();
  const argv = ["--max-depth", "1", "--concurrency", "2", `${srv.origin}/index.html`];
  const off = fakeIo();
  assert.equal(await runCli(argv, off), EXIT.ok);
  assert.doesNotMatch(off.err(), /trace: /);
  const io = fakeIo();
  assert.equal(await runCli(argv, { ...io, trace: true }), EXIT.ok);
  const line = io.err().split("\n").find((l) => l.startsWith("trace: "));
  assert.ok(line, `no trace line in ${JSON.stringify(io.err())}`);
  const summary = JSON.parse(line.slice("trace: ".length));
  assert.ok(summary.requests >= 6, `only ${summary.requests} requests traced`);
  assert.ok(summary.bodyEndToWrite.n > 0);
  assert.equal(typeof summary.eventLoopDelay.p99, "number");
});

Deno.test("runCli() reads URLs from stdin with - and from --urls-file", async () => {
  await using srv = startFixtureServer();
  const io = fakeIo(`# seeds\n${srv.origin}/a.html\n\n${srv.origin}/c.html\n`);
  assert.equal(await runCli(["--max-depth", "0", "--quiet", "-"], io), EXIT.ok);
  const urls = events(io.out()).filter((e) => e.type === "page").map((e) =>
    (e as { url: string }).url
  );
  assert.deepEqual(urls.sort(), [`${srv.origin}/a.html`, `${srv.origin}/c.html`]);
  assert.equal(io.err(), "");
  const file = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(file, `${srv.origin}/area.html\n`);
    const io2 = fakeIo();
    assert.equal(await runCli(["--max-depth", "0", "--urls-file", file], io2), EXIT.ok);
    assert.equal(events(io2.out()).filter((e) => e.type === "page").length, 1);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("runCli() --out writes the events to a file", async () => {
  await using srv = startFixtureServer();
  const file = await Deno.makeTempFile();
  try {
    const io = fakeIo();
    assert.equal(await runCli(["--out", file, "--max-depth", "0", `${srv.origin}/a.html`], io), 0);
    assert.equal(io.out(), "");
    const evs = events(await Deno.readTextFile(file));
    assert.deepEqual(evs.map((e) => e.type), ["page", "done"]);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("runCli() --deny-private refuses loopback unless --allow-nets opens it", async () => {
  await using srv = startFixtureServer();
  const io = fakeIo();
  assert.equal(await runCli(["--deny-private", "--ignore-robots", `${srv.origin}/a.html`], io), 0);
  const evs = events(io.out());
  assert.equal(evs[0].type === "error" && evs[0].code, "blocked_address");
  assert.equal(srv.hits.size, 0);
  const io2 = fakeIo();
  const argv = ["--deny-private", "--allow-nets", "127.0.0.1/32", "--max-depth", "0"];
  assert.equal(await runCli([...argv, `${srv.origin}/a.html`], io2), 0);
  assert.equal(events(io2.out())[0].type, "page");
});

Deno.test("runCli() draws a live progress line when stderr is a terminal", async () => {
  await using srv = startFixtureServer();
  const io = { ...fakeIo(), stderrIsTerminal: true, progressMs: 20 };
  let err = "";
  io.stderr = (t: string) => void (err += t);
  const code = await runCli(["--ignore-robots", `${srv.origin}/h/fanout?n=6&ms=300`], io);
  assert.equal(code, EXIT.ok);
  // Each redraw starts with a carriage return and "erase line" (ESC [ K).
  const redraws = err.split("\r\x1b[K").slice(1);
  assert.ok(redraws.length >= 2, "at least one progress line and the summary");
  assert.ok(
    redraws.slice(0, -1).every((l) =>
      /^pages \d+ {2}errors 0 {2}skipped 0 {2}queue \d+ {2}in flight \d+ {2}[\d.]+ pages\/s/.test(l)
    ),
  );
  assert.match(redraws.at(-1)!, /^done: 7 pages, 0 errors, 0 skipped/);
});

Deno.test("runCli() says why when the frontier reached the memory limit", async () => {
  await using srv = startFixtureServer();
  const io = { ...fakeIo(), heapLimitBytes: 1 };
  const code = await runCli(
    ["--ignore-robots", "--max-pages", "5000", `${srv.origin}/h/fanout?n=1100&ms=0`],
    io,
  );
  assert.equal(code, EXIT.ok);
  const done = events(io.out()).at(-1);
  assert.equal(done?.type === "done" ? done.reason : done?.type, "memory_limit");
  assert.match(io.err(), /reached the memory limit/);
});

Deno.test("runCli() --threads spreads the crawl over threads: every page once, one done", async () => {
  await using srv = startFixtureServer();
  const io = fakeIo();
  const code = await runCli(
    ["--threads", "2", "--max-depth", "10", "--ignore-robots", `${srv.origin}/index.html`],
    io,
  );
  assert.equal(code, EXIT.ok);
  const evs = events(io.out());
  const pages = evs.filter((e) => e.type === "page").map((e) => (e as { url: string }).url);
  assert.ok(pages.length >= 10, `pages: ${pages.length}`);
  assert.equal(new Set(pages).size, pages.length, "each page once");
  const done = evs.at(-1)!;
  assert.equal(done.type === "done" && done.stats.pages, pages.length);
  assert.equal(evs.filter((e) => e.type === "done").length, 1);
  assert.deepEqual([...srv.hits.values()].filter((n) => n !== 1), [], "each URL fetched once");
});

Deno.test("runCli() refuses a --threads outside 1-16 with usage", async () => {
  for (const n of ["0", "17", "two"]) {
    const io = fakeIo();
    assert.equal(await runCli(["--threads", n, "http://a.test/"], io), EXIT.usage, n);
    assert.match(io.err(), /--threads/);
  }
});

Deno.test("runCli() --threads --deny-private: the workers refuse loopback too", async () => {
  // perHost 1: each host belongs to one shard, so some of the four seeds go to the worker.
  const servers = [1, 2, 3, 4].map((i) => startFixtureServer({ hostname: `127.0.0.${i}` }));
  try {
    const io = fakeIo();
    const argv = ["--threads", "2", "--per-host", "1", "--deny-private", "--ignore-robots"];
    const code = await runCli([...argv, ...servers.map((s) => `${s.origin}/a.html`)], io);
    assert.equal(code, EXIT.ok);
    const evs = events(io.out());
    const codes = evs.filter((e) => e.type !== "done").map((e) => e.type === "error" && e.code);
    assert.deepEqual(codes, [
      "blocked_address",
      "blocked_address",
      "blocked_address",
      "blocked_address",
    ]);
    assert.deepEqual(servers.map((s) => s.hits.size), [0, 0, 0, 0]);
  } finally {
    for (const s of servers) await s[Symbol.asyncDispose]();
  }
});
