import assert from "node:assert/strict";
import { startTestApp } from "./_app.ts";

const DIR = new URL("../../src/service/dashboard/", import.meta.url);

Deno.test("GET / serves the dashboard with a strict CSP, nosniff and no framing", async () => {
  await using app = startTestApp({ CRAWLER_TOKEN: "s3cret" });
  const res = await app.call("GET", "/");
  assert.equal(res.status, 200, "the page needs no token");
  assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
  const csp = res.headers.get("content-security-policy") ?? "";
  for (const d of ["default-src 'self'", "script-src 'self'", "frame-ancestors 'none'"]) {
    assert.ok(csp.includes(d), `CSP has ${d}: ${csp}`);
  }
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  assert.equal(res.headers.get("x-content-type-options"), "nosniff");
  const html = await res.text();
  assert.match(html, /<script type="module" src="\/dashboard\/app\.js"><\/script>/);
  assert.doesNotMatch(html, /<script>|<script [^>]*>[^<]/, "no inline script");
  assert.doesNotMatch(html, /style=|<style/, "no inline style");
});

Deno.test("every dashboard file imported or linked is served, and nothing else", async () => {
  await using app = startTestApp();
  const names = new Set<string>();
  for await (const e of Deno.readDir(DIR)) if (e.isFile) names.add(e.name);
  for (const name of names) {
    const res = await app.call("GET", `/dashboard/${name}`);
    assert.equal(res.status, 200, name);
    assert.match(
      res.headers.get("content-type") ?? "",
      /^(text\/(javascript|css|html)|image\/svg\+xml)/,
      name,
    );
    const text = await res.text();
    for (const m of text.matchAll(/from "\.\/([a-z_]+\.js)"/g)) {
      assert.ok(names.has(m[1]), `${name} imports ${m[1]}, which exists`);
    }
  }
  for (const bad of ["../app.ts", "..%2Fapp.ts", "nope.js", "%2e%2e%2fapp.ts", "app.js.map"]) {
    const res = await app.call("GET", `/dashboard/${bad}`);
    assert.equal(res.status, 404, bad);
    await res.body?.cancel();
  }
});

Deno.test("the dashboard's scripts never build HTML from strings", async () => {
  let checked = 0;
  for await (const e of Deno.readDir(DIR)) {
    if (!e.name.endsWith(".js")) continue;
    const text = await Deno.readTextFile(new URL(e.name, DIR));
    assert.doesNotMatch(
      text,
      /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/,
      e.name,
    );
    checked++;
  }
  assert.ok(checked >= 5, `checked ${checked} scripts`);
});

Deno.test("API answers carry nosniff and a deny-all CSP", async () => {
  await using app = startTestApp();
  const res = await app.call("GET", "/jobs");
  assert.equal(res.headers.get("x-content-type-options"), "nosniff");
  assert.equal(
    res.headers.get("content-security-policy"),
    "default-src 'none'; frame-ancestors 'none'",
  );
  await res.body?.cancel();
  const err = await app.call("GET", "/nope");
  assert.equal(err.headers.get("x-content-type-options"), "nosniff");
  await err.body?.cancel();
});
