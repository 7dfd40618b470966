import assert from "node:assert/strict";
import { matchRoute, route } from "../../src/service/route.ts";

const ok = () => Promise.resolve(new Response("ok"));
const doc = { summary: "x", responses: {} };
const routes = [
  route("GET", "/healthz", doc, ok, { head: true }),
  route("GET", "/jobs", doc, ok),
  route("POST", "/jobs", doc, ok),
  route("GET", "/jobs/:id", doc, ok),
  route("DELETE", "/jobs/:id", doc, ok),
  route("GET", "/jobs/:id/events", doc, ok),
];

Deno.test("matchRoute() finds the route and decodes path parameters", () => {
  const m = matchRoute(routes, "GET", "/jobs/a%2Db/events");
  assert.equal(m.kind, "found");
  if (m.kind !== "found") return;
  assert.equal(m.route.path, "/jobs/:id/events");
  assert.deepEqual(m.params, { id: "a-b" });
});

Deno.test("matchRoute() ignores trailing slashes", () => {
  const m = matchRoute(routes, "POST", "/jobs//");
  assert.equal(m.kind === "found" && m.route.path, "/jobs");
});

Deno.test("matchRoute() lists the allowed methods of a known path in table order", () => {
  assert.deepEqual(matchRoute(routes, "PUT", "/jobs"), { kind: "method", allow: ["GET", "POST"] });
  assert.deepEqual(matchRoute(routes, "PATCH", "/jobs/x"), {
    kind: "method",
    allow: ["GET", "DELETE"],
  });
});

Deno.test("matchRoute() serves HEAD only from GET routes made with head: true", () => {
  assert.equal(matchRoute(routes, "HEAD", "/healthz").kind, "found");
  assert.deepEqual(matchRoute(routes, "HEAD", "/jobs"), { kind: "method", allow: ["GET", "POST"] });
});

Deno.test("matchRoute() matches nothing for unknown paths and bad percent-encoding", () => {
  assert.deepEqual(matchRoute(routes, "GET", "/nope"), { kind: "none" });
  assert.deepEqual(matchRoute(routes, "GET", "/jobs/a/b/c"), { kind: "none" });
  assert.deepEqual(matchRoute(routes, "GET", "/jobs/%E0%A4%A"), { kind: "none" });
});
