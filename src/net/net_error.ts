/**
 * The error type of the network layer, with a stable `code`.
 *
 * @example
 * ```ts
 * import { NetError } from "./net_error.ts";
 * const e = new NetError("blocked_address", "Address 127.0.0.1 is loopback");
 * e.code; // "blocked_address"
 * ```
 * @module
 */

/** Stable codes of {@linkcode NetError}. */
export type NetErrorCode =
  | "blocked_address"
  | "blocked_port"
  | "blocked_scheme"
  | "dns"
  | "tls"
  | "connect_timeout";

/** A request refused or failed by the network layer before any response. */
export class NetError extends Error {
  /** The stable code, e.g. `blocked_address`. */
  readonly code: NetErrorCode;
  constructor(code: NetErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "NetError";
    this.code = code;
  }
}
