/**
 * The one place that decides which {@linkcode Fetcher} skein speaks through,
 * used by the CLI (`deno task crawl`) and the service (`deno task start`)
 * alike:
 *
 * - the SSRF guard on (`guard` is a policy): skein's own client through
 *   {@linkcode createPinnedFetcher} with that policy, whatever the
 *   environment says (a proxy would connect to addresses nobody checked, so
 *   proxy variables are not honoured while the guard is on);
 * - the guard off and a proxy configured (`HTTP_PROXY`, `HTTPS_PROXY`,
 *   `ALL_PROXY`, upper or lower case): Deno's `fetch`, which honours them;
 * - the guard off otherwise: skein's own client with every address let
 *   through (it costs far less CPU per request than `fetch`; see the README).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultFetcher } from "./fetcher.ts";
 * import { makeFetcher } from "./make_fetcher.ts";
 * const viaProxy = makeFetcher({ guard: null, env: { HTTPS_PROXY: "http://proxy.test:3128" } });
 * assert.equal(viaProxy, defaultFetcher);
 * const own = makeFetcher({ guard: null, env: {} });
 * assert.notEqual(own, defaultFetcher);
 * await own[Symbol.asyncDispose]?.();
 * ```
 * @module
 */
import { defaultFetcher, type Fetcher } from "./fetcher.ts";
import { createPinnedFetcher, type PinnedFetcherOptions } from "./pinned_fetcher.ts";
import type { AddressPolicy } from "./address_policy.ts";

/** Environment variables that name a proxy; any one set means "use a proxy". */
export const PROXY_VARS: readonly string[] = [
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "ALL_PROXY",
  "http_proxy",
  "https_proxy",
  "all_proxy",
];

/** What {@linkcode makeFetcher} chooses from. */
export interface FetcherChoice extends PinnedFetcherOptions {
  /** The SSRF guard's policy, or `null` when the guard is off (every address allowed). */
  guard: AddressPolicy | null;
  /**
   * The environment (for the proxy variables).
   * @default {Deno.env.toObject()}
   */
  env?: Record<string, string | undefined>;
}

/** A fetcher that may own connections: dispose of it (when it can be) once done. */
export type OwnedFetcher = Fetcher & Partial<AsyncDisposable>;

/** Returns the fetcher for `choice`; see the module doc for the rule. */
export function makeFetcher(choice: FetcherChoice): OwnedFetcher {
  const { guard, env: givenEnv, ...options } = choice;
  if (guard !== null) return createPinnedFetcher(guard, options);
  const env = givenEnv ?? Deno.env.toObject();
  if (PROXY_VARS.some((v) => env[v])) return defaultFetcher;
  // No policy: every address and port let through, and the policy's code not loaded.
  return createPinnedFetcher(null, options);
}

/**
 * The fetcher for the guard's two command-line flags, `--deny-private` and
 * `--allow-nets` (the CLI's, and its worker threads'), in the environment
 * `env`; rejects with a RangeError on a bad `allowNets`. The guard's policy
 * (and ipaddr.js with it) loads only with `denyPrivate`: 25-35 ms of start-up
 * otherwise.
 */
export async function makeFetcherForFlags(
  denyPrivate: boolean,
  allowNets: string | null,
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<OwnedFetcher> {
  if (!denyPrivate) return makeFetcher({ guard: null, env });
  const { parseAllowNets } = await import("./address_policy.ts");
  const guard = { allowNets: parseAllowNets(allowNets ?? ""), allowedPorts: null };
  return makeFetcher({ guard, env });
}
