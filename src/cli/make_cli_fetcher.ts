/**
 * The CLI's fetcher. By default skein's HTTP/1.1 client (`Http1Client` on
 * `Deno.connect`) with keep-alive and a DNS cache, letting every address
 * through (the local command acts for the user at the keyboard and may reach
 * loopback and private hosts); it costs far less CPU per request than Deno's
 * `fetch` or `node:http` (see the README). With `--deny-private`, the same
 * client applies the SSRF guard. When a proxy is configured (`HTTP_PROXY`, `HTTPS_PROXY` or
 * `ALL_PROXY`), Deno's `fetch` is used instead, because it honours them.
 *
 * @example
 * ```ts
 * import { makeCliFetcher } from "./make_cli_fetcher.ts";
 * const fetcher = makeCliFetcher(false, null, {});
 * await fetcher[Symbol.asyncDispose]?.();
 * ```
 * @module
 */
import { defaultFetcher, type Fetcher } from "../net/fetcher.ts";
import { createGuardedFetcher } from "../net/guarded_fetcher.ts";
import { parseAllowNets } from "../net/address_policy.ts";

const EVERY_ADDRESS = "0.0.0.0/0,::/0";
const PROXY_VARS = [
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "ALL_PROXY",
  "http_proxy",
  "https_proxy",
  "all_proxy",
];

/**
 * Builds the fetcher for the CLI flags and environment; throws RangeError on
 * a bad `--allow-nets`.
 */
export function makeCliFetcher(
  denyPrivate: boolean,
  allowNets: string | null,
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Fetcher & Partial<AsyncDisposable> {
  if (denyPrivate) {
    return createGuardedFetcher({ allowNets: parseAllowNets(allowNets ?? ""), allowedPorts: null });
  }
  if (PROXY_VARS.some((v) => env[v])) return defaultFetcher;
  return createGuardedFetcher({ allowNets: parseAllowNets(EVERY_ADDRESS), allowedPorts: null });
}
