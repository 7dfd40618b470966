/**
 * The CLI's fetcher: Deno's `fetch` by default (the local command acts for
 * the user at the keyboard and may reach loopback and private hosts), or the
 * SSRF-guarded fetcher with `--deny-private`.
 *
 * @example
 * ```ts
 * import { makeCliFetcher } from "./make_cli_fetcher.ts";
 * const f = makeCliFetcher(false, null); // Deno's fetch, no guard
 * ```
 * @module
 */
import { defaultFetcher, type Fetcher } from "../net/fetcher.ts";
import { createGuardedFetcher } from "../net/guarded_fetcher.ts";
import { parseAllowNets } from "../net/address_policy.ts";

/** Builds the fetcher for the CLI flags; throws RangeError on a bad `--allow-nets`. */
export function makeCliFetcher(
  denyPrivate: boolean,
  allowNets: string | null,
): Fetcher & Partial<AsyncDisposable> {
  if (!denyPrivate) return defaultFetcher;
  return createGuardedFetcher({ allowNets: parseAllowNets(allowNets ?? ""), allowedPorts: null });
}
