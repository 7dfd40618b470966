/**
 * One robots.txt fetch per origin per crawl, shared by every request to it.
 *
 * @example
 * ```ts
 * import { RobotsCache } from "./robots_cache.ts";
 * import { ALLOW_ALL } from "./robots_rules.ts";
 * const cache = new RobotsCache(() => Promise.resolve(ALLOW_ALL));
 * await cache.get("http://a.test"); // ALLOW_ALL
 * ```
 * @module
 */
import type { RobotsRules } from "./robots_rules.ts";

/** Loads the rules of one origin. */
export type RobotsLoader = (origin: string, signal?: AbortSignal) => Promise<RobotsRules>;

/** Caches the in-flight or settled rules of each origin. */
export class RobotsCache {
  #load: RobotsLoader;
  #byOrigin = new Map<string, Promise<RobotsRules>>();

  constructor(load: RobotsLoader) {
    this.#load = load;
  }

  /** The rules of `origin`, loading them on first use. */
  get(origin: string, signal?: AbortSignal): Promise<RobotsRules> {
    let p = this.#byOrigin.get(origin);
    if (!p) {
      p = this.#load(origin, signal);
      this.#byOrigin.set(origin, p);
      // A load cut short by an abort is not remembered.
      p.catch(() => this.#byOrigin.delete(origin));
    }
    return p;
  }
}
