/**
 * The flags of `deno task crawl`, derived from the engine's option table:
 * each option's name in kebab case (`maxPages` is `--max-pages`).
 *
 * @example
 * ```ts
 * import { parseCliArgs } from "./parse_cli_args.ts";
 * const a = parseCliArgs(["--max-pages", "10", "http://a.test/"]);
 * // a.options.maxPages === 10, a.urls[0] === "http://a.test/"
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import {
  type CrawlOptions,
  OPTION_SPECS,
  type OptionSpec,
  resolveOptions,
} from "../crawl/options.ts";
import { DEFAULT_OPTIONS } from "../crawl/options.ts";

/** A bad command line; the CLI prints the message and usage and exits 2. */
export class UsageError extends Error {
  readonly code = "usage";
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** What the command line asked for. */
export interface CliArgs {
  options: CrawlOptions;
  /** URLs given as arguments (`-` means: read URLs from stdin). */
  urls: string[];
  /** A file with URLs, one a line (`-` is stdin). */
  urlsFile: string | null;
  /** Where NDJSON goes; `null` is stdout. */
  out: string | null;
  help: boolean;
  /** Refuse private, loopback and other non-public addresses (SSRF guard). */
  denyPrivate: boolean;
  /** CIDRs opened despite `--deny-private`, comma-separated. */
  allowNets: string | null;
  /** No live progress line or summary on stderr. */
  quiet: boolean;
  /** Threads the crawl is spread over (see `src/crawl/sharded_crawl.ts`). */
  threads: number;
}

/** Most threads `--threads` takes. */
export const MAX_THREADS = 16;

/** `maxPages` to `max-pages`. */
export function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
}

function flagArg(spec: OptionSpec): string {
  switch (spec.type) {
    case "int":
      return " <n>";
    case "bool":
      return "";
    case "enum":
      return spec.key === "scope" ? " <kind>" : " <mode>";
    default:
      return " <text>";
  }
}

/** The `--help` text. */
export function usage(): string {
  const rows = OPTION_SPECS.map((s) => {
    const d = (DEFAULT_OPTIONS as unknown as Record<string, unknown>)[s.key];
    const def = Array.isArray(d)
      ? ""
      : ` (default ${typeof d === "string" ? JSON.stringify(d) : d})`;
    return `  --${kebab(s.key)}${flagArg(s)}`.padEnd(30) + s.help + def;
  });
  return [
    "Usage: deno task crawl [options] <url...>",
    "",
    "Crawls from the given URLs and writes one JSON event per line (NDJSON).",
    "URLs may also come from --urls-file FILE or stdin (`-`), one a line.",
    "",
    "Crawl options:",
    ...rows,
    "",
    "Other options:",
    "  --out <file>                NDJSON to this file instead of stdout",
    "  --urls-file <file>          read URLs from a file, one a line (- for stdin)",
    "  --deny-private              refuse loopback, private and other non-public addresses",
    "  --allow-nets <cidrs>        with --deny-private: networks still allowed (a,b,...)",
    "  --threads <n>               spread the crawl over n threads, one engine each (default 1)",
    "  --quiet                     no progress or summary on stderr",
    "  -h, --help                  show this help",
    "",
    "Exit codes: 0 done, 1 failure, 2 bad usage, 130 interrupted (Ctrl-C).",
  ].join("\n");
}

function toInt(flag: string, v: string): number {
  if (!/^-?\d+$/.test(v.trim())) throw new UsageError(`--${flag} needs a whole number, got "${v}"`);
  return Number(v);
}

/** Parses argv; throws {@linkcode UsageError} on anything it cannot take. */
export function parseCliArgs(argv: string[]): CliArgs {
  const optionDefs: Record<
    string,
    { type: "string" | "boolean"; multiple?: boolean; short?: string }
  > = {
    out: { type: "string" },
    "urls-file": { type: "string" },
    "deny-private": { type: "boolean" },
    "allow-nets": { type: "string" },
    quiet: { type: "boolean" },
    threads: { type: "string" },
    help: { type: "boolean", short: "h" },
  };
  for (const s of OPTION_SPECS) {
    optionDefs[kebab(s.key)] = s.type === "bool"
      ? { type: "boolean" }
      : { type: "string", multiple: s.type === "strings" };
  }
  let parsed;
  try {
    // allowNegative: `--no-preconnect` turns off an option that is on by default.
    parsed = parseArgs({
      args: argv,
      options: optionDefs,
      allowPositionals: true,
      allowNegative: true,
      strict: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const partial: Record<string, unknown> = {};
  for (const s of OPTION_SPECS) {
    const flag = kebab(s.key);
    const raw = v[flag];
    if (raw === undefined) continue;
    partial[s.key] = s.type === "int" ? toInt(flag, raw as string) : raw;
  }
  let options: CrawlOptions;
  try {
    options = resolveOptions(partial as Partial<CrawlOptions>);
  } catch (e) {
    const field = (e as { field?: string }).field;
    throw new UsageError(
      field ? `--${kebab(field)}: ${(e as Error).message}` : (e as Error).message,
    );
  }
  if (v["allow-nets"] !== undefined && !v["deny-private"]) {
    throw new UsageError("--allow-nets only makes sense with --deny-private");
  }
  const threads = v.threads === undefined ? 1 : toInt("threads", v.threads as string);
  if (threads < 1 || threads > MAX_THREADS) {
    throw new UsageError(`--threads must be from 1 to ${MAX_THREADS}, got ${threads}`);
  }
  return {
    options,
    threads,
    urls: parsed.positionals,
    urlsFile: (v["urls-file"] as string | undefined) ?? null,
    out: (v.out as string | undefined) ?? null,
    help: v.help === true,
    denyPrivate: v["deny-private"] === true,
    allowNets: (v["allow-nets"] as string | undefined) ?? null,
    quiet: v.quiet === true,
  };
}
