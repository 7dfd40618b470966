/**
 * The service's settings, read from the environment once at start-up. Every
 * setting, its variable and its default are in the README's table.
 *
 * @example
 * ```ts
 * import { loadConfig } from "./config.ts";
 * const c = loadConfig({ PORT: "9000" });
 * c.port; // 9000
 * ```
 * @module
 */

/** Limits that keep one client from taking the service. */
export interface Limits {
  /** Bytes of a request body. */
  maxBodyBytes: number;
  /** Seed URLs per job. */
  maxUrlsPerJob: number;
  /** Characters per URL. */
  maxUrlLength: number;
  /** Jobs queued or running at once (all clients); more get 429. */
  maxActiveJobs: number;
  /** Jobs this process runs at once; the rest wait queued. */
  maxRunningJobs: number;
  /** Event and page streams open at once; more get 429. */
  maxStreams: number;
  /** Jobs one token (or client address) may create per minute. */
  jobsPerMinute: number;
  /** Ceiling on a job's `maxPages`. */
  maxPages: number;
  /** Ceiling on a job's `concurrency` (and `perHost`). */
  maxConcurrency: number;
  /** Ceiling on a job's `timeoutMs`. */
  maxTimeoutMs: number;
  /** Ceiling on a job's `parseWorkers` (threads each job may start). */
  maxParseWorkers: number;
}

/** Everything the service reads from its environment. */
export interface ServiceConfig {
  port: number;
  hostname: string;
  mongodbUri: string | null;
  mongodbDb: string;
  /** When set, every request but /healthz needs `Authorization: Bearer <token>`. */
  token: string | null;
  /** CIDRs the SSRF guard lets through (e.g. for tests or an intranet crawler). */
  allowNets: string;
  /** Ports a crawl may connect to; `null` means any. */
  allowedPorts: number[] | null;
  /** Turns the SSRF guard off (never on a public port). */
  allowPrivate: boolean;
  /** How long a job's lease lasts before another process may take it over. */
  leaseMs: number;
  /** How often idle processes look for claimable jobs. */
  pollMs: number;
  /** Whether this process works on jobs (`RUN_JOBS=false`: API only). */
  runJobs: boolean;
  /**
   * Whether every process works on every running job at once, by host
   * (`SHARED_JOBS`; default on with MongoDB, off with the in-memory store).
   */
  sharedJobs: boolean | null;
  limits: Limits;
}

/** A bad environment variable; the service prints it and exits 1. */
export class ConfigError extends Error {
  readonly code = "invalid_config";
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

function int(env: Record<string, string | undefined>, name: string, def: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return def;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min) {
    throw new ConfigError(`${name} must be a whole number >= ${min}, got "${raw}"`);
  }
  return Number(raw);
}

/** Reads the settings; throws {@linkcode ConfigError} on a bad value. */
export function loadConfig(env: Record<string, string | undefined>): ServiceConfig {
  const ports = env.CRAWLER_ALLOW_PORTS?.trim();
  let allowedPorts: number[] | null = null;
  if (ports) {
    allowedPorts = ports.split(",").map((p) => {
      const n = Number(p.trim());
      if (!Number.isInteger(n) || n < 1 || n > 65535) {
        throw new ConfigError(`CRAWLER_ALLOW_PORTS has an invalid port "${p}"`);
      }
      return n;
    });
  }
  return {
    port: int(env, "PORT", 8000),
    hostname: env.HOST || "0.0.0.0",
    mongodbUri: env.MONGODB_URI || null,
    mongodbDb: env.MONGODB_DB || "skein",
    token: env.CRAWLER_TOKEN || null,
    allowNets: env.CRAWLER_ALLOW_NETS ?? "",
    allowedPorts,
    allowPrivate: env.CRAWLER_ALLOW_PRIVATE === "1",
    leaseMs: int(env, "JOB_LEASE_MS", 30000, 500),
    pollMs: int(env, "JOB_POLL_MS", 1000, 10),
    runJobs: bool(env, "RUN_JOBS", true),
    sharedJobs: env.SHARED_JOBS === undefined || env.SHARED_JOBS === ""
      ? null
      : bool(env, "SHARED_JOBS", true),
    limits: {
      maxBodyBytes: int(env, "LIMIT_BODY_BYTES", 1024 * 1024, 1),
      maxUrlsPerJob: int(env, "LIMIT_URLS_PER_JOB", 1000, 1),
      maxUrlLength: int(env, "LIMIT_URL_LENGTH", 2048, 16),
      maxActiveJobs: int(env, "LIMIT_ACTIVE_JOBS", 100, 1),
      maxRunningJobs: int(env, "LIMIT_RUNNING_JOBS", 8, 1),
      maxStreams: int(env, "LIMIT_STREAMS", 1000, 1),
      jobsPerMinute: int(env, "LIMIT_JOBS_PER_MINUTE", 60, 1),
      maxPages: int(env, "LIMIT_MAX_PAGES", 100000, 1),
      maxConcurrency: int(env, "LIMIT_MAX_CONCURRENCY", 64, 1),
      maxTimeoutMs: int(env, "LIMIT_MAX_TIMEOUT_MS", 60000, 1),
      maxParseWorkers: int(env, "LIMIT_MAX_PARSE_WORKERS", 1, 0),
    },
  };
}

/** A `true`/`false` (or `1`/`0`) variable; `fallback` when unset or empty. */
function bool(env: Record<string, string | undefined>, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return fallback;
  if (raw === "true" || raw === "1") return true;
  if (raw === "false" || raw === "0") return false;
  throw new ConfigError(`${name} must be true or false, got "${env[name]}"`);
}
