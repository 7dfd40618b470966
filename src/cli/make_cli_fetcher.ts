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
/**
 * Builds the fetcher for the CLI flags and environment; rejects with a
 * RangeError on a bad `--allow-nets`. See `makeFetcherForFlags`.
 */
export { makeFetcherForFlags as makeCliFetcher } from "../net/make_fetcher.ts";
