/**
 * The CLI's fetcher: {@linkcode makeFetcher} (the one fetcher choice, shared
 * with the service) for the `--deny-private` and `--allow-nets` flags. The
 * local command acts for the user at the keyboard, so without
 * `--deny-private` every address is let through.
 *
 * @example
 * ```ts
 * import { makeCliFetcher } from "./make_cli_fetcher.ts";
 * const fetcher = makeCliFetcher(false, null, {});
 * await fetcher[Symbol.asyncDispose]?.();
 * ```
 * @module
 */
import { makeFetcher, type OwnedFetcher } from "../net/make_fetcher.ts";
import { parseAllowNets } from "../net/address_policy.ts";

/**
 * Builds the fetcher for the CLI flags and environment; throws RangeError on
 * a bad `--allow-nets`.
 */
export function makeCliFetcher(
  denyPrivate: boolean,
  allowNets: string | null,
  env: Record<string, string | undefined> = Deno.env.toObject(),
): OwnedFetcher {
  const guard = denyPrivate
    ? { allowNets: parseAllowNets(allowNets ?? ""), allowedPorts: null }
    : null;
  return makeFetcher({ guard, env });
}
