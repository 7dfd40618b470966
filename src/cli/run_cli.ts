/**
 * `deno task crawl` as a function of its arguments and I/O, so tests run it
 * in-process: parse flags, gather URLs, crawl, write NDJSON, report progress
 * and return the exit code.
 *
 * @example
 * ```ts ignore
 * import { runCli } from "./run_cli.ts";
 * import { denoCliIo } from "./deno_cli_io.ts";
 * const code = await runCli(["--help"], denoCliIo(new AbortController().signal));
 * ```
 * @module
 */
import { parseCliArgs, usage, UsageError } from "./parse_cli_args.ts";
import { crawl } from "../crawl/crawl.ts";
import type { ShardedCrawlRun } from "../crawl/sharded_crawl.ts";
import type { CrawlEvent } from "../crawl/events.ts";
import { NdjsonText, writeNdjson } from "../streams/write_ndjson.ts";
import { normalizeUrl } from "../url/normalize_url.ts";
import { defaultFetcher, type Fetcher } from "../net/fetcher.ts";
import { formatProgress } from "./progress_line.ts";
import { startTrace, stopTrace } from "../trace/dispatch_trace.ts";

/** The outside world of the CLI. */
export interface CliIo {
  stdout: WritableStream<Uint8Array>;
  /** Diagnostics and progress. */
  stderr: (text: string) => void;
  stderrIsTerminal: boolean;
  /** Reads all of stdin. */
  readStdin: () => Promise<string>;
  readFile: (path: string) => Promise<string>;
  /** Opens an output file for writing (truncating). */
  openOut: (path: string) => Promise<WritableStream<Uint8Array>>;
  /** Aborted on Ctrl-C. */
  signal?: AbortSignal;
  /**
   * Builds the fetcher; given whether `--deny-private` was set and its
   * `--allow-nets`. May resolve later (the guard's code loads on demand).
   */
  makeFetcher?: (
    denyPrivate: boolean,
    allowNets: string | null,
  ) => (Fetcher & Partial<AsyncDisposable>) | Promise<Fetcher & Partial<AsyncDisposable>>;
  /** Milliseconds between progress lines on a terminal. @default 250 */
  progressMs?: number;
  /**
   * Heap bytes past which the crawl admits no new URL (done reason
   * `memory_limit`) instead of dying of an out-of-memory crash. @default no limit
   */
  heapLimitBytes?: number;
  /**
   * Trace where dispatch lag goes (`SKEIN_TRACE=1`) and write a `trace: {...}`
   * JSON line to stderr at the end (see src/trace/dispatch_trace.ts).
   * @default false
   */
  trace?: boolean;
}

/** Exit codes of the CLI. */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

function splitLines(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
}

async function* tap(
  run: ShardedCrawlRun,
  onEvent: (e: CrawlEvent | NdjsonText) => void,
): AsyncGenerator<CrawlEvent | NdjsonText> {
  for await (const e of run) {
    onEvent(e);
    yield e;
  }
}

/** Runs the CLI and resolves with its exit code; never throws. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let args;
  try {
    args = parseCliArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`error: ${e.message}\n\n${usage()}\n`);
      return EXIT.usage;
    }
    throw e;
  }
  if (args.help) {
    await writeText(io.stdout, usage() + "\n");
    return EXIT.ok;
  }
  const urls: string[] = [];
  try {
    for (const u of args.urls) {
      if (u === "-") urls.push(...splitLines(await io.readStdin()));
      else urls.push(u);
    }
    if (args.urlsFile !== null) {
      urls.push(
        ...splitLines(
          args.urlsFile === "-" ? await io.readStdin() : await io.readFile(args.urlsFile),
        ),
      );
    }
  } catch (e) {
    io.stderr(`error: cannot read URLs: ${(e as Error).message}\n`);
    return EXIT.usage;
  }
  if (urls.length === 0) {
    io.stderr(`error: no URL given\n\n${usage()}\n`);
    return EXIT.usage;
  }
  const bad = urls.filter((u) => normalizeUrl(u) === null);
  if (bad.length > 0) {
    io.stderr(
      `error: not an http(s) URL: ${bad.slice(0, 5).map((b) => JSON.stringify(b)).join(", ")}\n`,
    );
    return EXIT.usage;
  }
  let fetcher: Fetcher & Partial<AsyncDisposable>;
  try {
    fetcher = (await io.makeFetcher?.(args.denyPrivate, args.allowNets)) ?? defaultFetcher;
  } catch (e) {
    io.stderr(`error: ${(e as Error).message}\n`);
    return EXIT.usage;
  }
  let out = io.stdout;
  if (args.out !== null) {
    try {
      out = await io.openOut(args.out);
    } catch (e) {
      io.stderr(`error: cannot open --out ${args.out}: ${(e as Error).message}\n`);
      return EXIT.usage;
    }
  }

  if (io.trace) startTrace();
  const context = { signal: io.signal, fetcher, heapLimitBytes: io.heapLimitBytes };
  // The crawl over threads loads only when asked for: one thread needs none of it.
  const run: ShardedCrawlRun = args.threads === 1
    ? crawl(urls, args.options, context)
    : (await import("../crawl/sharded_crawl.ts")).shardedCrawl(urls, args.options, {
      ...context,
      threads: args.threads,
      workerFetcher: { denyPrivate: args.denyPrivate, allowNets: args.allowNets },
    });
  const started = performance.now();
  let timer: ReturnType<typeof setInterval> | undefined;
  if (io.stderrIsTerminal && !args.quiet) {
    timer = setInterval(() => {
      io.stderr("\r\x1b[K" + formatProgress(run.progress, performance.now() - started));
    }, io.progressMs ?? 250);
  }
  let doneReason: string | null = null;
  try {
    await writeNdjson(
      tap(run, (e) => {
        if (!(e instanceof NdjsonText) && e.type === "done") doneReason = e.reason;
      }),
      out,
      { preventClose: args.out === null },
    );
  } catch (e) {
    io.stderr(`\nerror: ${(e as Error).message}\n`);
    return EXIT.failure;
  } finally {
    if (timer !== undefined) clearInterval(timer);
    await fetcher[Symbol.asyncDispose]?.();
    const traced = stopTrace(args.options.concurrency);
    if (traced !== null) io.stderr(`trace: ${JSON.stringify(traced)}\n`);
  }
  if (!args.quiet) {
    const prefix = io.stderrIsTerminal ? "\r\x1b[K" : "";
    io.stderr(prefix + formatProgress(run.progress, performance.now() - started, true) + "\n");
  }
  if (doneReason === "memory_limit") {
    const mb = Math.round((io.heapLimitBytes ?? 0) / 2 ** 20);
    io.stderr(
      `note: the frontier reached the memory limit (${mb} MB of heap), so no new URL was ` +
        `admitted after that; the URLs already queued were crawled. Narrow the crawl ` +
        `(--max-depth, --scope, --include/--exclude, --max-pages) to stay under it.\n`,
    );
  }
  return io.signal?.aborted || doneReason === "aborted" ? EXIT.interrupted : EXIT.ok;
}

async function writeText(stream: WritableStream<Uint8Array>, text: string): Promise<void> {
  const w = stream.getWriter();
  try {
    await w.write(new TextEncoder().encode(text));
  } finally {
    w.releaseLock();
  }
}
