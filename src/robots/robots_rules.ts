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
import robotsParserModule from "robots-parser";
import type { Fetcher } from "../net/fetcher.ts";
import { deadlineSignal } from "../async/deadline_signal.ts";
import { readCapped } from "../streams/read_capped.ts";

/** The decision a crawl needs from robots.txt. */
export interface RobotsRules {
  /** Whether `userAgent` may fetch `url` (a URL of the same origin). */
  isAllowed(url: string, userAgent: string): boolean;
  /** `Crawl-delay` in milliseconds for `userAgent`, if any. */
  crawlDelayMs(userAgent: string): number | undefined;
  /** How the rules came about: `parsed`, `allow_all` (4xx), `disallow_all` (5xx or unreachable). */
  readonly source: "parsed" | "allow_all" | "disallow_all";
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

interface ParsedRobots {
  isAllowed(url: string, ua?: string): boolean | undefined;
  getCrawlDelay(ua?: string): number | undefined;
  getSitemaps(): string[];
}

// The package's typings declare a default export that Deno sees as a namespace.
const robotsParser = robotsParserModule as unknown as (url: string, txt: string) => ParsedRobots;

/** Parses the text of a robots.txt served at `robotsUrl`. */
export function parseRobots(robotsUrl: string, text: string): RobotsRules {
  const r = robotsParser(robotsUrl, text);
  return {
    isAllowed: (url, ua) => r.isAllowed(url, ua) !== false,
    crawlDelayMs: (ua) => {
      const d = r.getCrawlDelay(ua);
      return typeof d === "number" && Number.isFinite(d) && d >= 0 ? d * 1000 : undefined;
    },
    source: "parsed",
    sitemaps: r.getSitemaps(),
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

/**
 * Fetches and interprets the robots.txt of `origin` (RFC 9309): 2xx is
 * parsed; 4xx allows all; 5xx, a network failure or a timeout disallows all.
 * Only an abort of `signal` rejects.
 */
export async function fetchRobots(
  origin: string,
  options: FetchRobotsOptions,
): Promise<RobotsRules> {
  const { fetcher, userAgent, signal } = options;
  const maxRedirects = options.maxRedirects ?? 5;
  using deadline = deadlineSignal(options.timeoutMs ?? 15000, signal);
  let url = new URL("/robots.txt", origin).href;
  try {
    for (let hop = 0; hop <= maxRedirects; hop++) {
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
            (await readCapped(res.body, options.maxBytes ?? 512_000)).bytes,
          )
          : "";
        return parseRobots(new URL("/robots.txt", origin).href, text);
      }
      await res.body?.cancel().catch(() => {});
      return res.status >= 400 && res.status < 500 ? ALLOW_ALL : DISALLOW_ALL;
    }
    return ALLOW_ALL; // RFC 9309 §2.3.1.2: too many redirects may be treated as unavailable (4xx)
  } catch {
    // RFC 9309 §2.3.1.4: an unreachable robots.txt disallows everything.
    if (signal?.aborted) throw signal.reason;
    return DISALLOW_ALL;
  }
}
