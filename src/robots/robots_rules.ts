/**
 * robots.txt rules of one origin, fetched and interpreted per RFC 9309.
 *
 * @example
 * ```ts
 * import { parseRobots } from "./robots_rules.ts";
 * const rules = parseRobots("http://a.test/robots.txt", "User-agent: *\nDisallow: /private/\n");
 * rules.isAllowed("http://a.test/private/x", "skein"); // false
 * ```
 * @module
 */
import type { Fetcher } from "../net/fetcher.ts";
import { NetError } from "../net/net_error.ts";
import { deadlineSignal } from "../async/deadline_signal.ts";
import { readPrefix } from "../streams/read_prefix.ts";
import { canonicalRobotsPath, robotsPatternMatches } from "./robots_pattern.ts";
import { PRODUCT_TOKEN, productToken } from "./robots_agent.ts";

/** The decision a crawl needs from robots.txt. */
export interface RobotsRules {
  /**
   * Whether the crawler named `agent` (a product token such as `skein`,
   * compared case-insensitively) may fetch `url` (a URL of the same origin).
   */
  isAllowed(url: string, agent: string): boolean;
  /** `Crawl-delay` in milliseconds for `agent`, if any. */
  crawlDelayMs(agent: string): number | undefined;
  /**
   * How the rules came about: `parsed`, `allow_all` (4xx), `disallow_all`
   * (5xx or unreachable), `refused` (the fetch was refused by the address
   * guard; see {@linkcode RobotsRules.refusal}).
   */
  readonly source: "parsed" | "allow_all" | "disallow_all" | "refused";
  /** Why the robots.txt fetch was refused (a `NetError` of the guard), when `source` is `refused`. */
  readonly refusal?: Error;
  /** The `Sitemap:` URLs of the file, as written (absent when none was read). */
  readonly sitemaps?: readonly string[];
}

/** Rules that allow everything (robots.txt 4xx, or robots ignored). */
export const ALLOW_ALL: RobotsRules = {
  isAllowed: () => true,
  crawlDelayMs: () => undefined,
  source: "allow_all",
};

/** Rules that disallow everything (robots.txt 5xx or unreachable). */
export const DISALLOW_ALL: RobotsRules = {
  isAllowed: () => false,
  crawlDelayMs: () => undefined,
  source: "disallow_all",
};

/** One `Allow` or `Disallow` line, its pattern in canonical form. */
interface Rule {
  pattern: string;
  allow: boolean;
}

/** The records of the groups naming one product token (or `*`), merged. */
interface Group {
  rules: Rule[];
  crawlDelay?: number;
}

/** `Sitemap` lines kept at most from one robots.txt. */
const MAX_SITEMAP_LINES = 1000;

/** The lower-cased product token of a `User-agent` value, `*`, or `null` when it has none. */
function agentOf(value: string): string | null {
  if (value.startsWith("*")) return "*";
  const m = /^[A-Za-z_-]+/.exec(value);
  return m ? m[0].toLowerCase() : null;
}

/**
 * Groups by lower-cased product token; a token named by several groups gets
 * them all (§2.2.1). `Sitemap` lines, which belong to no group, go to
 * `sitemaps`.
 */
function parseGroups(text: string, sitemaps: string[]): Map<string, Group> {
  const groups = new Map<string, Group>();
  let current: Group[] = [];
  let inRules = false; // a rule was seen since the last user-agent line
  for (const rawLine of text.split(/\r\n|\r|\n/)) {
    const hash = rawLine.indexOf("#");
    const line = hash === -1 ? rawLine : rawLine.slice(0, hash);
    const colon = line.indexOf(":");
    if (colon === -1) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    switch (key) {
      case "user-agent": {
        if (inRules) {
          current = [];
          inRules = false;
        }
        const agent = agentOf(value);
        if (agent === null) break;
        let g = groups.get(agent);
        if (!g) groups.set(agent, g = { rules: [] });
        if (!current.includes(g)) current.push(g);
        break;
      }
      case "allow":
      case "disallow":
        inRules = true;
        if (value === "") break; // an empty rule matches nothing
        for (const g of current) {
          g.rules.push({ pattern: canonicalRobotsPath(value), allow: key === "allow" });
        }
        break;
      case "sitemap":
        if (value !== "" && sitemaps.length < MAX_SITEMAP_LINES) sitemaps.push(value);
        break;
      case "crawl-delay": {
        const d = Number(value);
        if (value === "" || !Number.isFinite(d) || d < 0) break;
        for (const g of current) g.crawlDelay ??= d;
        break;
      }
    }
  }
  return groups;
}

/** The path and query of `url` in canonical form. */
function pathOf(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return canonicalRobotsPath(url);
  }
  return canonicalRobotsPath((u.pathname || "/") + u.search);
}

/**
 * Whether `path` (canonical) is allowed by `rules`: the rule with the longest
 * pattern that matches decides, and `Allow` wins a tie (§2.2.2); no match
 * allows.
 */
function allowedBy(rules: Rule[], path: string): boolean {
  let best: Rule | null = null;
  for (const r of rules) {
    if (best !== null && r.pattern.length < best.pattern.length) continue;
    if (best !== null && r.pattern.length === best.pattern.length && !r.allow) continue;
    if (robotsPatternMatches(r.pattern, path)) best = r;
  }
  return best === null || best.allow;
}

/**
 * Parses the text of a robots.txt (RFC 9309). `robotsUrl` is where it was
 * served; the rules are meant for URLs of that origin.
 */
export function parseRobots(_robotsUrl: string, text: string): RobotsRules {
  const sitemaps: string[] = [];
  const groups = parseGroups(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, sitemaps);
  const groupFor = (agent: string): Group | undefined => {
    const token = PRODUCT_TOKEN.test(agent) ? agent : productToken(agent) ?? "*";
    return groups.get(token.toLowerCase()) ?? groups.get("*");
  };
  return {
    isAllowed: (url, agent) => {
      const g = groupFor(agent);
      if (!g || g.rules.length === 0) return true;
      const path = pathOf(url);
      if (path === "/robots.txt") return true; // implicitly allowed (§2.2.2)
      return allowedBy(g.rules, path);
    },
    crawlDelayMs: (agent) => {
      const d = groupFor(agent)?.crawlDelay;
      return d === undefined ? undefined : d * 1000;
    },
    source: "parsed",
    sitemaps,
  };
}

/** Settings of {@linkcode fetchRobots}. */
export interface FetchRobotsOptions {
  fetcher: Fetcher;
  userAgent: string;
  /** Deadline for the whole fetch, redirects included. @default 15000 */
  timeoutMs?: number;
  /** Bytes read at most; the rest is ignored (RFC 9309 asks for at least 500 KiB). @default 512000 */
  maxBytes?: number;
  /** Redirect hops followed (RFC 9309: at least five). @default 5 */
  maxRedirects?: number;
  signal?: AbortSignal;
}

/** Whether `e` is the address guard refusing a request (not a failure of the network). */
function isGuardRefusal(e: unknown): e is NetError {
  return e instanceof NetError &&
    (e.code === "blocked_address" || e.code === "blocked_port" || e.code === "blocked_scheme");
}

/** Rules saying that the robots.txt fetch itself was refused by the address guard. */
export function refusedRules(refusal: Error): RobotsRules {
  return {
    isAllowed: () => false,
    crawlDelayMs: () => undefined,
    source: "refused",
    refusal,
  };
}

/**
 * What fetching a robots.txt found, as plain data (so it can cross threads,
 * see `sharded_crawl.ts`); {@linkcode rulesOf} turns it into rules.
 */
export type RobotsFile =
  | { source: "parsed"; url: string; text: string }
  | { source: "allow_all" }
  | { source: "disallow_all" }
  | { source: "refused"; code: NetError["code"]; message: string };

/** The rules of a fetched robots.txt. */
export function rulesOf(file: RobotsFile): RobotsRules {
  switch (file.source) {
    case "parsed":
      return parseRobots(file.url, file.text);
    case "allow_all":
      return ALLOW_ALL;
    case "disallow_all":
      return DISALLOW_ALL;
    case "refused":
      return refusedRules(new NetError(file.code, file.message));
  }
}

/**
 * Fetches and interprets the robots.txt of `origin` (RFC 9309): 2xx is
 * parsed; 4xx allows all; 5xx, a network failure or a timeout disallows all.
 * When the address guard refuses the origin itself, the rules are
 * {@linkcode refusedRules} (the URL needing them is refused for the same
 * reason); when it refuses a redirect target, robots.txt counts as
 * unavailable (allow all, as after too many redirects). Only an abort of
 * `signal` rejects.
 */
export async function fetchRobots(
  origin: string,
  options: FetchRobotsOptions,
): Promise<RobotsRules> {
  return rulesOf(await fetchRobotsFile(origin, options));
}

/** {@linkcode fetchRobots}, stopping short of the rules: what was found, as data. */
export async function fetchRobotsFile(
  origin: string,
  options: FetchRobotsOptions,
): Promise<RobotsFile> {
  const { fetcher, userAgent, signal } = options;
  const maxRedirects = options.maxRedirects ?? 5;
  using deadline = deadlineSignal(options.timeoutMs ?? 15000, signal);
  let url = new URL("/robots.txt", origin).href;
  let hop = 0;
  try {
    for (; hop <= maxRedirects; hop++) {
      const res = await fetcher(url, {
        headers: new Headers({ "user-agent": userAgent, accept: "text/plain,*/*;q=0.5" }),
        signal: deadline.signal,
      });
      const location = res.headers.get("location");
      if (res.status >= 300 && res.status < 400 && location) {
        await res.body?.cancel().catch(() => {});
        url = new URL(location, url).href;
        continue;
      }
      if (res.status >= 200 && res.status < 300) {
        const text = res.body
          ? new TextDecoder().decode(
            (await readPrefix(res.body, options.maxBytes ?? 512_000)).bytes,
          )
          : "";
        return { source: "parsed", url: new URL("/robots.txt", origin).href, text };
      }
      await res.body?.cancel().catch(() => {});
      return { source: res.status >= 400 && res.status < 500 ? "allow_all" : "disallow_all" };
    }
    // RFC 9309 §2.3.1.2: too many redirects may be treated as unavailable (4xx).
    return { source: "allow_all" };
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    if (isGuardRefusal(e)) {
      return hop === 0
        ? { source: "refused", code: e.code, message: e.message }
        : { source: "allow_all" };
    }
    // RFC 9309 §2.3.1.4: an unreachable robots.txt disallows everything.
    return { source: "disallow_all" };
  }
}
