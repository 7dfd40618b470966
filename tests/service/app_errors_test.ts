import assert from "node:assert/strict";
import { startTestApp } from "./_app.ts";
import { ERROR_CASES, J, ok } from "./_error_cases.ts";

for (const c of ERROR_CASES) {
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

Deno.test("with a token, a wrong method on a public path is 405, on a private path 401", async () => {
  await using app = startTestApp({ CRAWLER_TOKEN: "s3cret" });
  const pub = await app.call("POST", "/healthz");
  assert.equal(pub.status, 405);
  assert.equal(pub.headers.get("allow"), "GET");
  await pub.body?.cancel();
  const priv = await app.call("PUT", "/jobs");
  assert.equal(priv.status, 401, "a private path says nothing before the token");
  await priv.body?.cancel();
});
