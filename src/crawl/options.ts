/**
 * The settings of a crawl, their defaults and their validation. The CLI's
 * flags and the service's JSON options come from {@linkcode OPTION_SPECS};
 * the README's table is checked against it by `tests/readme_test.ts`.
 *
 * @example
 * ```ts
 * import { resolveOptions } from "./options.ts";
 * const o = resolveOptions({ concurrency: 8 });
 * o.perHost; // 4
 * ```
 * @module
 */
import { SCOPE_KINDS, type ScopeKind } from "../url/scope.ts";
import { PRODUCT_TOKEN, productToken } from "../robots/robots_agent.ts";

/** What a page event's `content` holds: nothing, the main text, the main content as Markdown, or the decoded HTML. */
export type ContentMode = "none" | "text" | "markdown" | "html";

/** Every setting of a crawl; see {@linkcode DEFAULT_OPTIONS} for the defaults. */
export interface CrawlOptions {
  /** Fetches in flight at once, all hosts together. @default 16 */
  concurrency: number;
  /** Fetches in flight at once to one host name (whatever the port). @default 4 */
  perHost: number;
  /** Pause between two fetches to one host, in ms (robots.txt `Crawl-delay` raises it). @default 0 */
  delayMs: number;
  /** Deadline of one request: connect, headers and the whole body. @default 15000 */
  timeoutMs: number;
  /**
   * Deadline for opening one connection (TCP and TLS), within `timeoutMs`
   * (the smaller wins). Deno's `fetch`, used behind a proxy, has none. @default 10000
   */
  connectTimeoutMs: number;
  /** Extra attempts after a network error, a timeout, a 429 or a 5xx. @default 2 */
  retries: number;
  /** Redirect hops followed per request. @default 5 */
  maxRedirects: number;
  /** Link hops from the seeds (seeds are depth 0). @default 3 */
  maxDepth: number;
  /** URLs fetched at most (pages plus errors). @default 1000 */
  maxPages: number;
  /** Decoded body bytes read per response. @default 5242880 */
  maxBytes: number;
  /** Which URLs may be visited: `origin`, `host`, `domain` or `all`. @default "origin" */
  scope: ScopeKind;
  /** Regular expressions; a URL must match one of them (when any). @default [] */
  include: string[];
  /** Regular expressions; a URL matching one is left out. @default [] */
  exclude: string[];
  /** Do not fetch or obey robots.txt. @default false */
  ignoreRobots: boolean;
  /** The `User-Agent` header. @default "skein/0.1 (+https://github.com/skein-crawler/skein)" */
  userAgent: string;
  /**
   * The product token looked up in robots.txt `User-agent` lines (letters, `_`, `-`; matched
   * case-insensitively). When not given: the product token of `userAgent` (`skein` for the
   * default, `Name` for `Mozilla/5.0 (compatible; Name/1.0; +url)`). @default "skein"
   */
  robotsAgent: string;
  /** Longest wait honoured from a `Retry-After` header, in ms. @default 30000 */
  retryAfterMaxMs: number;
  /** First retry back-off in ms (doubles each attempt, with jitter). @default 500 */
  backoffMs: number;
  /**
   * Worker threads that decode and parse HTML; 0 parses on the crawl's own
   * thread. On a 2-core machine 0 is as fast or faster (see the README). @default 0
   */
  parseWorkers: number;
  /**
   * What each HTML page's event carries as `content`: `none`, `text` or
   * `markdown` (the main content, boilerplate left out) or `html` (the
   * decoded HTML). @default "none"
   */
  content: ContentMode;
  /** Read robots.txt `Sitemap:` lines and `/sitemap.xml` of each seed's origin before following links. @default false */
  sitemaps: boolean;
  /**
   * While the seeds' answers are awaited, open idle keep-alive connections
   * to each seed's host, up to `min(perHost, concurrency)` with the seed's
   * own, so the first wave of links finds them ready (browsers pre-connect
   * the same way). None when `delayMs` spaces the requests. Connections
   * never used are closed when the crawl ends; a blocked address is never
   * connected to. @default true
   */
  preconnect: boolean;
}

/** The defaults of {@linkcode CrawlOptions}. */
export const DEFAULT_OPTIONS: Readonly<CrawlOptions> = Object.freeze({
  concurrency: 16,
  perHost: 4,
  delayMs: 0,
  timeoutMs: 15000,
  connectTimeoutMs: 10000,
  retries: 2,
  maxRedirects: 5,
  maxDepth: 3,
  maxPages: 1000,
  maxBytes: 5 * 1024 * 1024,
  scope: "origin" as ScopeKind,
  include: [],
  exclude: [],
  ignoreRobots: false,
  userAgent: "skein/0.1 (+https://github.com/skein-crawler/skein)",
  robotsAgent: "skein",
  retryAfterMaxMs: 30000,
  backoffMs: 500,
  parseWorkers: 0,
  content: "none" as ContentMode,
  sitemaps: false,
  preconnect: true,
});

/** Longest value of a `string` option, in characters. */
export const MAX_STRING_LENGTH = 512;
/** Most patterns in `include` or `exclude`. */
export const MAX_PATTERNS = 50;
/** Longest pattern in `include` or `exclude`, in characters. */
export const MAX_PATTERN_LENGTH = 1000;

/** How one option is typed and bounded; the source of flags, schema and docs. */
export interface OptionSpec {
  /** The option's name in `CrawlOptions` (the flag is its kebab case). */
  key: keyof CrawlOptions;
  /** How the value is typed and checked. */
  type: "int" | "bool" | "string" | "strings" | "enum";
  /** The allowed values of an `enum` option. */
  values?: readonly string[];
  /** Least value of an `int`. */
  min?: number;
  /** Greatest value of an `int`. */
  max?: number;
  /** A `string` option must match this too. */
  pattern?: RegExp;
  /** One line for `--help`. */
  help: string;
}

/** Every option with its type, bounds and one line of help. */
export const OPTION_SPECS: readonly OptionSpec[] = [
  { key: "concurrency", type: "int", min: 1, max: 10000, help: "fetches in flight, all hosts" },
  { key: "perHost", type: "int", min: 1, max: 10000, help: "fetches in flight per host" },
  { key: "delayMs", type: "int", min: 0, max: 3600000, help: "pause between fetches to a host" },
  {
    key: "timeoutMs",
    type: "int",
    min: 1,
    max: 3600000,
    help: "deadline per request, body included",
  },
  {
    key: "connectTimeoutMs",
    type: "int",
    min: 1,
    max: 3600000,
    help: "deadline to open a connection",
  },
  { key: "retries", type: "int", min: 0, max: 20, help: "retries on network error, 429, 5xx" },
  { key: "maxRedirects", type: "int", min: 0, max: 50, help: "redirect hops per request" },
  { key: "maxDepth", type: "int", min: 0, max: 1000000, help: "link hops from the seeds" },
  { key: "maxPages", type: "int", min: 1, max: 100000000, help: "URLs fetched at most" },
  {
    key: "maxBytes",
    type: "int",
    min: 1,
    max: 1073741824,
    help: "decoded bytes read per response",
  },
  { key: "scope", type: "enum", values: SCOPE_KINDS, help: "origin | host | domain | all" },
  { key: "include", type: "strings", help: "regexp a URL must match (repeatable)" },
  { key: "exclude", type: "strings", help: "regexp that excludes a URL (repeatable)" },
  { key: "ignoreRobots", type: "bool", help: "do not fetch or obey robots.txt" },
  { key: "userAgent", type: "string", help: "User-Agent header" },
  {
    key: "robotsAgent",
    type: "string",
    pattern: PRODUCT_TOKEN,
    help: "robots.txt product token; taken from --user-agent when not given",
  },
  { key: "retryAfterMaxMs", type: "int", min: 0, max: 3600000, help: "cap on Retry-After waits" },
  { key: "backoffMs", type: "int", min: 0, max: 600000, help: "first retry back-off" },
  { key: "parseWorkers", type: "int", min: 0, max: 16, help: "threads parsing HTML (0: inline)" },
  {
    key: "content",
    type: "enum",
    values: ["none", "text", "markdown", "html"],
    help: "page content: none | text | markdown | html",
  },
  { key: "sitemaps", type: "bool", help: "read robots.txt sitemaps and /sitemap.xml first" },
  {
    key: "preconnect",
    type: "bool",
    help: "open connections to the seeds' hosts while their answers are awaited " +
      "(--no-preconnect: off)",
  },
];

/** A bad option value; `field` names the option. */
export class OptionError extends RangeError {
  /** The stable code. */
  readonly code = "invalid_option";
  /** The option at fault, e.g. `maxPages`. */
  readonly field: string;
  /** `field` names the option; `message` says what was wrong and what the value was. */
  constructor(field: string, message: string) {
    super(message);
    this.name = "OptionError";
    this.field = field;
  }
}

/** Fills in defaults and checks every value's type and bounds; throws {@linkcode OptionError}. */
export function resolveOptions(partial: Partial<CrawlOptions> = {}): CrawlOptions {
  const o = { ...DEFAULT_OPTIONS, ...partial } as CrawlOptions;
  if (
    partial.robotsAgent === undefined && typeof o.userAgent === "string" &&
    o.userAgent.length > 0 && !/[\r\n]/.test(o.userAgent)
  ) {
    const token = productToken(o.userAgent);
    if (token !== null) o.robotsAgent = token;
    else if (!o.ignoreRobots) {
      throw new OptionError(
        "robotsAgent",
        `Option robotsAgent must be given: userAgent ${
          JSON.stringify(o.userAgent)
        } has no product token`,
      );
    }
  }
  const rec = o as unknown as Record<string, unknown>;
  for (const spec of OPTION_SPECS) {
    const v = rec[spec.key];
    switch (spec.type) {
      case "int":
        if (typeof v !== "number" || !Number.isInteger(v)) {
          throw new OptionError(spec.key, `Option ${spec.key} must be an integer, got ${v}`);
        }
        if ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max)) {
          throw new OptionError(
            spec.key,
            `Option ${spec.key} must be between ${spec.min} and ${spec.max}, got ${v}`,
          );
        }
        break;
      case "bool":
        if (typeof v !== "boolean") {
          throw new OptionError(spec.key, `Option ${spec.key} must be a boolean, got ${v}`);
        }
        break;
      case "string":
        if (
          typeof v !== "string" || v.length === 0 || v.length > MAX_STRING_LENGTH ||
          /[\r\n]/.test(v)
        ) {
          throw new OptionError(spec.key, `Option ${spec.key} must be a one-line string`);
        }
        if (spec.pattern && !spec.pattern.test(v)) {
          throw new OptionError(
            spec.key,
            `Option ${spec.key} must match ${spec.pattern}, got ${JSON.stringify(v)}`,
          );
        }
        break;
      case "enum":
        if (!spec.values!.includes(v as string)) {
          throw new OptionError(
            spec.key,
            `Option ${spec.key} must be one of ${spec.values!.join(", ")}, got ${v}`,
          );
        }
        break;
      case "strings":
        if (!Array.isArray(v) || !v.every((s) => typeof s === "string")) {
          throw new OptionError(spec.key, `Option ${spec.key} must be a list of strings`);
        }
        if (v.length > MAX_PATTERNS) {
          throw new OptionError(
            spec.key,
            `Option ${spec.key} has ${v.length} patterns, more than ${MAX_PATTERNS}`,
          );
        }
        for (const s of v as string[]) {
          if (s.length > MAX_PATTERN_LENGTH) {
            throw new OptionError(
              spec.key,
              `Option ${spec.key} has a pattern of ${s.length} characters, more than ${MAX_PATTERN_LENGTH}`,
            );
          }
          try {
            new RegExp(s);
          } catch (e) {
            throw new OptionError(
              spec.key,
              `Option ${spec.key} has an invalid regular expression ${JSON.stringify(s)}: ${
                (e as Error).message
              }`,
            );
          }
        }
        break;
    }
  }
  return o;
}
