/**
 * Crawl scope as data: which URLs a crawl may visit, decided by one pure
 * function over normalized URLs.
 *
 * @example
 * ```ts
 * import { compileScope, inScope, loadScopeKind } from "./scope.ts";
 * await loadScopeKind("domain"); // the public suffix list, loaded on demand
 * const scope = compileScope(["http://a.example.com/"], { scope: "domain" });
 * inScope(scope, "https://b.example.com/x"); // true
 * inScope(scope, "https://example.org/"); // false
 * ```
 * @module
 */
import { hostnameOf, originOf } from "./url_parts.ts";

/** The scope kinds, in order from narrowest to widest. */
export const SCOPE_KINDS = ["origin", "host", "domain", "all"] as const;

/** How far from the seeds a crawl may go. */
export type ScopeKind = typeof SCOPE_KINDS[number];

/** The scope settings of a crawl. */
export interface ScopeOptions {
  /** `origin`: same scheme, host and port as a seed; `host`: same host name; `domain`: same registrable domain; `all`: anywhere. @default "origin" */
  scope?: ScopeKind;
  /** A URL must match at least one of these (when any are given). @default [] */
  include?: (string | RegExp)[];
  /** A URL matching any of these is left out. @default [] */
  exclude?: (string | RegExp)[];
}

/** A scope ready for fast checks. */
export interface CompiledScope {
  kind: ScopeKind;
  keys: Set<string>;
  include: RegExp[];
  exclude: RegExp[];
}

/** `registrableDomain` of registrable_domain.ts, once {@linkcode loadScopeKind} loaded it. */
let domainOf: ((hostname: string) => string) | null = null;

/**
 * Loads what a scope kind needs before {@linkcode compileScope} can use it:
 * the public suffix list (`tldts`) for `domain`, nothing for the others. It
 * is not loaded with this module because it cost 25-35 ms of every crawl's
 * start-up, while few crawls use that kind (`crawl()` calls this itself).
 */
export async function loadScopeKind(kind: ScopeKind): Promise<void> {
  if (kind === "domain" && domainOf === null) {
    domainOf = (await import("./registrable_domain.ts")).registrableDomain;
  }
}

function registrableDomain(hostname: string): string {
  if (domainOf === null) {
    throw new TypeError('The "domain" scope needs await loadScopeKind("domain") first');
  }
  return domainOf(hostname);
}

function keyOf(kind: ScopeKind, href: string): string {
  switch (kind) {
    case "origin":
      return originOf(href);
    case "host":
      return hostnameOf(href);
    case "domain":
      return registrableDomain(hostnameOf(href));
    case "all":
      return "";
  }
}

function toRegExp(p: string | RegExp, name: string): RegExp {
  if (p instanceof RegExp) return p;
  try {
    return new RegExp(p);
  } catch (e) {
    throw new SyntaxError(`Invalid ${name} pattern ${JSON.stringify(p)}: ${(e as Error).message}`);
  }
}

/**
 * Builds the scope of a crawl from its normalized seeds. Throws SyntaxError
 * on a bad pattern, and TypeError for the `domain` kind before
 * {@linkcode loadScopeKind} has loaded it.
 */
export function compileScope(seeds: Iterable<string>, options: ScopeOptions = {}): CompiledScope {
  const kind = options.scope ?? "origin";
  const keys = new Set<string>();
  for (const s of seeds) keys.add(keyOf(kind, s));
  return {
    kind,
    keys,
    include: (options.include ?? []).map((p) => toRegExp(p, "include")),
    exclude: (options.exclude ?? []).map((p) => toRegExp(p, "exclude")),
  };
}

/**
 * Whether the origin of `href` is one of `keys`: at once when `href` is one
 * of them followed by its path (a normalized URL always has one), which is
 * most links of a crawl, without building the origin; through
 * {@linkcode originOf} otherwise (credentials, a scope of many origins).
 * Building and hashing the origin of every link found was about 2 % of the
 * static crawl's CPU profile.
 */
function hasOrigin(keys: Set<string>, href: string): boolean {
  if (keys.size <= 4) {
    for (const key of keys) {
      if (href.charCodeAt(key.length) === 47 /* / */ && href.startsWith(key)) return true;
    }
  }
  return keys.has(originOf(href));
}

/** True when the normalized URL is inside the scope and passes include/exclude. */
export function inScope(scope: CompiledScope, href: string): boolean {
  if (scope.kind === "origin") {
    if (!hasOrigin(scope.keys, href)) return false;
  } else if (scope.kind !== "all" && !scope.keys.has(keyOf(scope.kind, href))) return false;
  if (scope.include.length > 0 && !scope.include.some((r) => r.test(href))) return false;
  return !scope.exclude.some((r) => r.test(href));
}
