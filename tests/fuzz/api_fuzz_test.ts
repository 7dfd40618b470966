import assert from "node:assert/strict";
import fc from "fast-check";
import { startTestApp } from "../service/_app.ts";

// Nothing may leave the machine: every fetch and every DNS lookup is refused.
const offline = {
  fetcher: () => Promise.reject(new TypeError("offline test")),
  resolve: () => Promise.reject(Object.assign(new Error("offline test"), { code: "ENOTFOUND" })),
};

const methods = fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS");
const paths = fc.oneof(
  fc.constantFrom(
    "/jobs",
    "/jobs/",
    "/healthz",
    "/metrics",
    "/jobs/x/events",
    "/jobs/x/pages",
    "/",
    "/openapi.json",
    "/dashboard/app.js",
    "/dashboard/index.html",
  ),
  fc.string().map((s) => "/jobs/" + encodeURIComponent(s)),
  fc.string().map((s) => "/dashboard/" + encodeURIComponent(s)),
  fc.tuple(
    fc.constantFrom("/jobs?", "/jobs/x/events?", "/jobs/x/pages?"),
    fc.constantFrom("limit", "since", "status", "after", "url"),
    fc.oneof(
      fc.integer().map(String),
      fc.string(),
      fc.constant("1e3"),
      fc.constant("99999999999999999999"),
    ),
  ).map(([a, k, v]) => `${a}${k}=${encodeURIComponent(v)}`),
  fc.tuple(fc.constantFrom("/jobs?", "/jobs/x/events?", "/jobs/x/pages?"), fc.string()).map((
    [a, b],
  ) => a + encodeURIComponent(b).replace(/%3D/g, "=").replace(/%26/g, "&")),
  fc.webPath(),
);
const contentTypes = fc.constantFrom(
  "application/json",
  "text/plain",
  "text/uri-list",
  "application/json; charset=utf-8",
  "multipart/form-data",
  "",
  "application/x-ndjson",
);
const options = fc.dictionary(
  fc.oneof(
    fc.constantFrom(
      "maxPages",
      "concurrency",
      "scope",
      "include",
      "timeoutMs",
      "userAgent",
      "$where",
      "__proto__",
    ),
    fc.string(),
  ),
  fc.jsonValue(),
);
const bodies = fc.oneof(
  fc.string(),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.record({
    urls: fc.array(fc.oneof(fc.webUrl(), fc.string(), fc.constant("http://127.0.0.1/")), {
      maxLength: 5,
    }),
    options: options,
  }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
  fc.uint8Array({ maxLength: 200 }).map((b) => new TextDecoder().decode(b)),
);

Deno.test("fuzz: thousands of malformed requests get 2xx or 4xx, never 5xx, and /healthz still answers", async () => {
  await using app = startTestApp(
    { LIMIT_JOBS_PER_MINUTE: "100000", LIMIT_ACTIVE_JOBS: "100000" },
    offline,
  );
  const seen = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(
      methods,
      paths,
      contentTypes,
      bodies,
      fc.option(fc.string()),
      async (m, p, ct, body, auth) => {
        const headers: Record<string, string> = {};
        if (ct) headers["content-type"] = ct;
        if (auth !== null) headers.authorization = auth.replace(/[^\t\x20-\x7e]/g, "");
        let req: Request;
        try {
          req = new Request(`http://skein.test${p}`, {
            method: m,
            headers,
            body: m === "GET" || m === "HEAD" ? undefined : body,
          });
        } catch {
          return; // not a request a client could send
        }
        const res = await app.handler(req);
        seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
        assert.ok(
          res.status < 500,
          `${m} ${p} ${ct} -> ${res.status}: ${await res.clone().text()}`,
        );
        await res.body?.cancel();
      },
    ),
    { numRuns: 3000 },
  );
  const health = await app.call("GET", "/healthz");
  assert.equal(health.status, 200);
  await health.body?.cancel();
  assert.ok([...seen.keys()].some((s) => s >= 400), "the fuzzer reached error paths");
  assert.ok([...seen.keys()].some((s) => s < 300), "the fuzzer reached success paths");
});

Deno.test("fuzz: raw garbage on the socket does not take the server down", async () => {
  await using app = startTestApp({}, offline);
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => app.handler(req),
  );
  const port = server.addr.port;
  try {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 2000 }), async (bytes) => {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        try {
          await conn.write(bytes).catch(() => {});
          conn.closeWrite().catch(() => {});
          const buf = new Uint8Array(1024);
          await Promise.race([
            conn.read(buf).catch(() => null),
            new Promise((r) => setTimeout(r, 200)),
          ]);
        } finally {
          conn.close();
        }
      }),
      { numRuns: 200 },
    );
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(res.status, 200);
    await res.body?.cancel();
  } finally {
    await server.shutdown();
  }
});
