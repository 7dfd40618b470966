import assert from "node:assert/strict";
import { startTestApp } from "./_app.ts";

interface Case {
  name: string;
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
  env?: Record<string, string>;
  status: number;
  code: string;
  field?: string | null;
}

const J = { "content-type": "application/json" };
const ok = (o: unknown = {}) => JSON.stringify({ urls: ["http://127.0.0.1:9/"], options: o });

const cases: Case[] = [
  {
    name: "invalid JSON",
    method: "POST",
    path: "/jobs",
    body: "{",
    headers: J,
    status: 400,
    code: "invalid_json",
    field: "body",
  },
  {
    name: "urls missing",
    method: "POST",
    path: "/jobs",
    body: "{}",
    headers: J,
    status: 400,
    code: "invalid_field",
    field: "urls",
  },
  {
    name: "urls not strings",
    method: "POST",
    path: "/jobs",
    body: '{"urls":[1]}',
    headers: J,
    status: 400,
    code: "invalid_field",
    field: "urls[0]",
  },
  {
    name: "empty urls",
    method: "POST",
    path: "/jobs",
    body: '{"urls":[]}',
    headers: J,
    status: 400,
    code: "invalid_field",
    field: "urls",
  },
  {
    name: "unknown top-level field",
    method: "POST",
    path: "/jobs",
    body: '{"urls":["http://a.test/"],"x":1}',
    headers: J,
    status: 400,
    code: "invalid_field",
    field: "x",
  },
  {
    name: "unknown option",
    method: "POST",
    path: "/jobs",
    body: ok({ fast: true }),
    headers: J,
    status: 400,
    code: "invalid_field",
    field: "options.fast",
  },
  {
    name: "option of the wrong type",
    method: "POST",
    path: "/jobs",
    body: ok({ maxPages: "10" }),
    headers: J,
    status: 400,
    code: "invalid_field",
    field: "options.maxPages",
  },
  {
    name: "option out of range",
    method: "POST",
    path: "/jobs",
    body: ok({ concurrency: 0 }),
    headers: J,
    status: 400,
    code: "invalid_field",
    field: "options.concurrency",
  },
  {
    name: "bad scope",
    method: "POST",
    path: "/jobs",
    body: ok({ scope: "planet" }),
    headers: J,
    status: 400,
    code: "invalid_field",
    field: "options.scope",
  },
  {
    name: "bad regexp",
    method: "POST",
    path: "/jobs",
    body: ok({ include: ["("] }),
    headers: J,
    status: 400,
    code: "invalid_field",
    field: "options.include[0]",
  },
  {
    name: "$-key operator in options",
    method: "POST",
    path: "/jobs",
    body: ok({ $where: "1" }),
    headers: J,
    status: 400,
    code: "invalid_field",
    field: "options.$where",
  },
  {
    name: "operator object as URL",
    method: "POST",
    path: "/jobs",
    body: '{"urls":[{"$gt":""}]}',
    headers: J,
    status: 400,
    code: "invalid_field",
    field: "urls[0]",
  },
  {
    name: "non-http URL",
    method: "POST",
    path: "/jobs",
    body: '{"urls":["file:///etc/passwd"]}',
    headers: J,
    status: 400,
    code: "invalid_url",
    field: "urls[0]",
  },
  {
    name: "over the maxPages ceiling",
    method: "POST",
    path: "/jobs",
    body: ok({ maxPages: 100001 }),
    headers: J,
    status: 400,
    code: "limit_exceeded",
    field: "options.maxPages",
  },
  {
    name: "over the concurrency ceiling",
    method: "POST",
    path: "/jobs",
    body: ok({ concurrency: 65 }),
    headers: J,
    status: 400,
    code: "limit_exceeded",
    field: "options.concurrency",
  },
  {
    name: "over the timeout ceiling",
    method: "POST",
    path: "/jobs",
    body: ok({ timeoutMs: 60001 }),
    headers: J,
    status: 400,
    code: "limit_exceeded",
    field: "options.timeoutMs",
  },
  {
    name: "over the parse workers ceiling",
    method: "POST",
    path: "/jobs",
    body: ok({ parseWorkers: 2 }),
    headers: J,
    status: 400,
    code: "limit_exceeded",
    field: "options.parseWorkers",
  },
  {
    name: "blocked seed (loopback not allowed)",
    method: "POST",
    path: "/jobs",
    body: '{"urls":["http://127.0.0.1:9/"]}',
    headers: J,
    env: { CRAWLER_ALLOW_NETS: "" },
    status: 400,
    code: "blocked_address",
    field: "urls[0]",
  },
  {
    name: "blocked seed (metadata)",
    method: "POST",
    path: "/jobs",
    body: '{"urls":["http://169.254.169.254/latest/"]}',
    headers: J,
    status: 400,
    code: "blocked_address",
    field: "urls[0]",
  },
  {
    name: "blocked seed (decimal IPv4)",
    method: "POST",
    path: "/jobs",
    body: '{"urls":["http://167772161/"]}',
    headers: J,
    status: 400,
    code: "blocked_address",
    field: "urls[0]",
  },
  {
    name: "body too large",
    method: "POST",
    path: "/jobs",
    body: ok() + " ".repeat(2000),
    headers: J,
    env: { LIMIT_BODY_BYTES: "1000" },
    status: 413,
    code: "body_too_large",
    field: "body",
  },
  {
    name: "too many URLs",
    method: "POST",
    path: "/jobs",
    body: JSON.stringify({ urls: ["http://a.test/1", "http://a.test/2", "http://a.test/3"] }),
    headers: J,
    env: { LIMIT_URLS_PER_JOB: "2" },
    status: 413,
    code: "too_many_urls",
    field: "urls",
  },
  {
    name: "URL too long",
    method: "POST",
    path: "/jobs",
    body: JSON.stringify({ urls: ["http://a.test/" + "x".repeat(3000)] }),
    headers: J,
    status: 413,
    code: "url_too_long",
    field: "urls[0]",
  },
  {
    name: "wrong content type",
    method: "POST",
    path: "/jobs",
    body: "urls=x",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    status: 415,
    code: "unsupported_media_type",
    field: "content-type",
  },
  {
    name: "unknown query option",
    method: "POST",
    path: "/jobs?turbo=1",
    body: "http://a.test/",
    headers: { "content-type": "text/plain" },
    status: 400,
    code: "invalid_field",
    field: "turbo",
  },
  {
    name: "bad query option value",
    method: "POST",
    path: "/jobs?maxPages=lots",
    body: "http://a.test/",
    headers: { "content-type": "text/plain" },
    status: 400,
    code: "invalid_field",
    field: "maxPages",
  },
  {
    name: "unknown job",
    method: "GET",
    path: "/jobs/00000000-0000-0000-0000-000000000000",
    status: 404,
    code: "job_not_found",
    field: "id",
  },
  {
    name: "unknown job's events",
    method: "GET",
    path: "/jobs/nope/events",
    status: 404,
    code: "job_not_found",
    field: "id",
  },
  {
    name: "odd job id",
    method: "GET",
    path: "/jobs/%24where",
    status: 404,
    code: "job_not_found",
    field: "id",
  },
  {
    name: "unknown route",
    method: "GET",
    path: "/nope",
    status: 404,
    code: "not_found",
    field: "path",
  },
  {
    name: "PUT /jobs",
    method: "PUT",
    path: "/jobs",
    status: 405,
    code: "method_not_allowed",
    field: "method",
  },
  {
    name: "POST /healthz",
    method: "POST",
    path: "/healthz",
    status: 405,
    code: "method_not_allowed",
    field: "method",
  },
  {
    name: "bad since",
    method: "GET",
    path: "/jobs/x/events?since=-1",
    status: 400,
    code: "invalid_query",
    field: "since",
  },
  {
    name: "missing token",
    method: "GET",
    path: "/jobs",
    env: { CRAWLER_TOKEN: "s3cret" },
    status: 401,
    code: "unauthorized",
    field: "authorization",
  },
  {
    name: "wrong token",
    method: "GET",
    path: "/jobs",
    headers: { authorization: "Bearer nope" },
    env: { CRAWLER_TOKEN: "s3cret" },
    status: 401,
    code: "unauthorized",
    field: "authorization",
  },
];

for (const c of cases) {
  Deno.test(`${c.method} ${c.path.slice(0, 40)}: ${c.name} is ${c.status} ${c.code}`, async () => {
    await using app = startTestApp(c.env ?? {});
    const res = await app.call(c.method, c.path, { body: c.body, headers: c.headers });
    assert.equal(res.status, c.status);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    const body = await res.json();
    assert.equal(body.error.code, c.code);
    assert.equal(typeof body.error.message, "string");
    if (c.field !== undefined) assert.equal(body.error.field, c.field);
  });
}

Deno.test("the right bearer token is let through; /healthz needs none", async () => {
  await using app = startTestApp({ CRAWLER_TOKEN: "s3cret" });
  const res = await app.call("GET", "/jobs", { headers: { authorization: "Bearer s3cret" } });
  assert.equal(res.status, 200);
  await res.body?.cancel();
  const h = await app.call("GET", "/healthz");
  assert.equal(h.status, 200);
  await h.body?.cancel();
});

Deno.test("405 names the allowed methods", async () => {
  await using app = startTestApp();
  const res = await app.call("PATCH", "/jobs/abc");
  assert.equal(res.status, 405);
  assert.equal(res.headers.get("allow"), "GET, DELETE");
  await res.body?.cancel();
});

Deno.test("jobs per minute are limited per client with 429 and Retry-After", async () => {
  await using app = startTestApp({ LIMIT_JOBS_PER_MINUTE: "2", CRAWLER_ALLOW_NETS: "127.0.0.0/8" });
  const post = () =>
    app.call("POST", "/jobs", { body: ok({ ignoreRobots: true, retries: 0 }), headers: J });
  for (const want of [201, 201, 429]) {
    const res = await post();
    assert.equal(res.status, want);
    const body = await res.json();
    if (want === 429) {
      assert.equal(body.error.code, "rate_limited");
      assert.match(body.error.message, /LIMIT_JOBS_PER_MINUTE/);
      assert.ok(Number(res.headers.get("retry-after")) >= 1);
    }
  }
});

Deno.test("active jobs are limited with 429 naming the limit", async () => {
  await using app = startTestApp({ LIMIT_ACTIVE_JOBS: "1", LIMIT_RUNNING_JOBS: "1" });
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 }); // accepts, never answers
  const port = (listener.addr as Deno.NetAddr).port;
  const body = JSON.stringify({
    urls: [`http://127.0.0.1:${port}/`],
    options: { ignoreRobots: true, retries: 0, timeoutMs: 2000 },
  });
  const first = await app.call("POST", "/jobs", { body, headers: J });
  assert.equal(first.status, 201);
  const id = (await first.json()).id;
  const second = await app.call("POST", "/jobs", { body, headers: J });
  assert.equal(second.status, 429);
  assert.equal((await second.json()).error.code, "too_many_jobs");
  await (await app.call("DELETE", `/jobs/${id}`)).body?.cancel();
  listener.close();
});

Deno.test("event streams are limited with 429", async () => {
  await using app = startTestApp({ LIMIT_STREAMS: "1", LIMIT_RUNNING_JOBS: "1" });
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const job = await (await app.call("POST", "/jobs", {
    body: JSON.stringify({
      urls: [`http://127.0.0.1:${port}/`],
      options: { ignoreRobots: true, retries: 0, timeoutMs: 3000 },
    }),
    headers: J,
  })).json();
  const one = await app.call("GET", `/jobs/${job.id}/events`);
  const two = await app.call("GET", `/jobs/${job.id}/events`);
  assert.equal(two.status, 429);
  assert.equal((await two.json()).error.code, "too_many_streams");
  await one.body?.cancel();
  const three = await app.call("GET", `/jobs/${job.id}/events`);
  assert.equal(three.status, 200, "a closed stream frees its place");
  await three.body?.cancel();
  await (await app.call("DELETE", `/jobs/${job.id}`)).body?.cancel();
  listener.close();
});

Deno.test("a port outside CRAWLER_ALLOW_PORTS is a 400 blocked_port", async () => {
  await using app = startTestApp({ CRAWLER_ALLOW_PORTS: "80,443" });
  const res = await app.call("POST", "/jobs", { body: ok(), headers: J });
  assert.equal(res.status, 400);
  const body = await res.json();
  assert.equal(body.error.code, "blocked_port");
  assert.equal(body.error.field, "urls[0]");
});
