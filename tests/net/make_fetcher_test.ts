import assert from "node:assert/strict";
import { defaultFetcher } from "../../src/net/fetcher.ts";
import { makeFetcher, PROXY_VARS } from "../../src/net/make_fetcher.ts";
import { parseAllowNets } from "../../src/net/address_policy.ts";
import { NetError } from "../../src/net/net_error.ts";

/** A loopback server that reports the accept-encoding it was sent and counts connections. */
function startServer() {
  const ports = new Set<number>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req, info) => {
    ports.add((info.remoteAddr as Deno.NetAddr).port);
    return new Response(req.headers.get("accept-encoding"));
  });
  return { server, base: `http://127.0.0.1:${server.addr.port}`, ports };
}

const init = () => ({ headers: new Headers(), signal: new AbortController().signal });

Deno.test("makeFetcher() with the guard on refuses loopback, even with a proxy set", async () => {
  const { server, base } = startServer();
  const guard = { allowNets: parseAllowNets(""), allowedPorts: null };
  const fetcher = makeFetcher({ guard, env: { HTTPS_PROXY: "http://proxy.test:3128" } });
  try {
    assert.notEqual(fetcher, defaultFetcher);
    await assert.rejects(
      fetcher(`${base}/`, init()),
      (e) => e instanceof NetError && e.code === "blocked_address",
    );
  } finally {
    await fetcher[Symbol.asyncDispose]?.();
    await server.shutdown();
  }
});

Deno.test("makeFetcher() with the guard off speaks through skein's own client, loopback included", async () => {
  const { server, base, ports } = startServer();
  const fetcher = makeFetcher({ guard: null, env: {} });
  try {
    assert.notEqual(fetcher, defaultFetcher);
    for (let i = 0; i < 3; i++) {
      const res = await fetcher(`${base}/`, init());
      // skein's client offers deflate too (Deno's fetch sends "gzip, br").
      assert.equal(await res.text(), "gzip, deflate, br");
    }
    assert.equal(ports.size, 1, "one kept-alive connection");
  } finally {
    await fetcher[Symbol.asyncDispose]?.();
    await server.shutdown();
  }
});

for (const name of PROXY_VARS) {
  Deno.test(`makeFetcher() with the guard off and ${name} set uses Deno's fetch`, () => {
    assert.equal(
      makeFetcher({ guard: null, env: { [name]: "http://proxy.test:3128" } }),
      defaultFetcher,
    );
  });
}

Deno.test("makeFetcher() ignores proxy variables that are set but empty", async () => {
  const fetcher = makeFetcher({ guard: null, env: { HTTP_PROXY: "" } });
  assert.notEqual(fetcher, defaultFetcher);
  await fetcher[Symbol.asyncDispose]?.();
});
