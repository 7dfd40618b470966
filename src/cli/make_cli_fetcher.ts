/**
 * The CLI's fetcher: {@linkcode makeFetcher} (the one fetcher choice, shared
 * with the service) for the `--deny-private` and `--allow-nets` flags. The
 * local command acts for the user at the keyboard, so without
 * `--deny-private` every address is let through.
 *
 * @example
 * ```ts
 * import { makeCliFetcher } from "./make_cli_fetcher.ts";
 * const fetcher = await makeCliFetcher(false, null, {});
 * await fetcher[Symbol.asyncDispose]?.();
 * ```
 * @module
 */
import { makeFetcher, type OwnedFetcher } from "../net/make_fetcher.ts";

/**
 * Builds the fetcher for the CLI flags and environment; rejects with a
 * RangeError on a bad `--allow-nets`. The guard's policy (and ipaddr.js
 * with it) loads only with `--deny-private`: 25-35 ms of start-up otherwise.
 */
export async function makeCliFetcher(
  denyPrivate: boolean,
  allowNets: string | null,
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<OwnedFetcher> {
  if (!denyPrivate) return makeFetcher({ guard: null, env });
  const { parseAllowNets } = await import("../net/address_policy.ts");
  const guard = { allowNets: parseAllowNets(allowNets ?? ""), allowedPorts: null };
  return makeFetcher({ guard, env });
}
