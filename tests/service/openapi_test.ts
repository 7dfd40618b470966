import assert from "node:assert/strict";
import { Validator } from "@seriousme/openapi-schema-validator";
import { ndjson, startTestApp } from "./_app.ts";
import { startFixtureServer } from "../../fixtures/server.ts";
import {
  ERROR_BODY,
  HEALTH,
  JOB,
  JOB_EVENT,
  JOB_LIST,
  PAGE,
} from "../../src/service/api_schemas.ts";
import { openApiPath } from "../../src/service/openapi.ts";

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
  components: { schemas: Record<string, unknown> };
};

async function document(app: ReturnType<typeof startTestApp>): Promise<Doc> {
  const res = await app.call("GET", "/openapi.json");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  return await res.json();
}

Deno.test("GET /openapi.json is a valid OpenAPI 3.1 document", async () => {
  await using app = startTestApp();
  const doc = await document(app);
  assert.equal(doc.openapi, "3.1.0");
  const validator = new Validator();
  const result = await validator.validate(doc as unknown as Record<string, unknown>);
  assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
  assert.equal(validator.version, "3.1");
});

Deno.test("the OpenAPI validator refuses a broken document (the check can fail)", async () => {
  await using app = startTestApp();
  const doc = await document(app) as unknown as Record<string, unknown>;
  const get = (doc.paths as Record<string, Record<string, { parameters: { in: string }[] }>>)[
    "/jobs"
  ].get;
  get.parameters[0].in = "body"; // OpenAPI 2 style: not valid in 3.1
  const result = await new Validator().validate(doc);
  assert.equal(result.valid, false);
});

Deno.test("GET /openapi.json documents every route of the table, and nothing else", async () => {
  await using app = startTestApp();
  const doc = await document(app);
  const fromTable = app.handler.routes.map((r) => `${r.method} ${openApiPath(r.path)}`).sort();
  const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)
  ).sort();
  assert.deepEqual(documented, fromTable);
  for (const must of ["GET /jobs", "POST /jobs", "GET /jobs/{id}/events", "GET /metrics"]) {
    assert.ok(documented.includes(must), must);
  }
});

Deno.test("GET /openapi.json is generated from the request schemas", async () => {
  await using app = startTestApp();
  const doc = await document(app) as unknown as {
    paths: Record<string, Record<string, Record<string, unknown>>>;
  };
  const post = doc.paths["/jobs"].post as {
    requestBody: { content: Record<string, { schema: Record<string, unknown> }> };
    parameters: { name: string; schema: { default?: unknown } }[];
  };
  const body = post.requestBody.content["application/json"].schema as {
    properties: {
      options: { properties: Record<string, { default?: unknown; maximum?: number }> };
    };
    additionalProperties: boolean;
  };
  assert.equal(body.additionalProperties, false, "unknown fields are refused, as the API does");
  assert.equal(body.properties.options.properties.maxDepth.default, 3);
  assert.equal(body.properties.options.properties.concurrency.maximum, 10000);
  assert.equal(post.parameters.find((p) => p.name === "maxPages")?.schema.default, 1000);
  const pages = doc.paths["/jobs/{id}/pages"].get as {
    parameters: { name: string; in: string; schema: { minimum?: number; maximum?: number } }[];
  };
  const status = pages.parameters.find((p) => p.name === "status")!;
  assert.deepEqual([status.in, status.schema.minimum, status.schema.maximum], ["query", 100, 599]);
});

Deno.test("every documented operation answers (not 404 or 405)", async () => {
  await using app = startTestApp({ LIMIT_RUNNING_JOBS: "1" });
  const doc = await document(app);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 }); // accepts, never answers
  const port = (listener.addr as Deno.NetAddr).port;
  const job = await (await app.call("POST", "/jobs", {
    json: { urls: [`http://127.0.0.1:${port}/`], options: { ignoreRobots: true, retries: 0 } },
  })).json();
  let checked = 0;
  try {
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) {
        if (method === "delete") continue; // cancels the job: done last
        const url = path.replace("{id}", job.id).replace("{file}", "app.js");
        const res = method === "post"
          ? await app.call("POST", url, { json: { urls: ["http://127.0.0.1:9/"] } })
          : await app.call(method.toUpperCase(), url);
        assert.ok(![404, 405].includes(res.status), `${method} ${path} answered ${res.status}`);
        await res.body?.cancel();
        checked++;
      }
    }
    const del = await app.call("DELETE", `/jobs/${job.id}`);
    assert.ok(del.status === 200 || del.status === 202, `DELETE answered ${del.status}`);
    await del.body?.cancel();
    checked++;
  } finally {
    listener.close();
  }
  assert.equal(checked, app.handler.routes.length);
});

Deno.test("the API's answers match the response schemas the contract is generated from", async () => {
  await using site = startFixtureServer();
  await using app = startTestApp();
  const created = await app.call("POST", "/jobs", {
    json: { urls: [`${site.origin}/index.html`], options: { maxDepth: 1 } },
  });
  const job = JOB.parse(await created.json());
  const events = await ndjson(await app.call("GET", `/jobs/${job.id}/events`));
  assert.ok(events.length > 2);
  for (const e of events) JOB_EVENT.parse(e);
  assert.ok(events.some((e) => e.type === "skipped"), "a skipped event was checked too");
  const pages = await ndjson(await app.call("GET", `/jobs/${job.id}/pages`));
  for (const p of pages) PAGE.parse(p);
  JOB.parse(await (await app.call("GET", `/jobs/${job.id}`)).json());
  JOB_LIST.parse(await (await app.call("GET", "/jobs")).json());
  HEALTH.parse(await (await app.call("GET", "/healthz")).json());
  ERROR_BODY.parse(await (await app.call("GET", "/jobs/nope")).json());
  // The schemas are not vacuous: a wrong shape is refused.
  assert.equal(JOB.safeParse({ ...job, status: "paused" }).success, false);
  assert.equal(JOB_EVENT.safeParse({ seq: 1, type: "page", url: "x" }).success, false);
});
