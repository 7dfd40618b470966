import assert from "node:assert/strict";
import { ConnectError, HttpClient, type HttpTarget } from "../../src/net/http_client.ts";
import { Http1Error } from "../../src/net/http1_parse.ts";
import { delay } from "../../src/async/delay.ts";
import { takeWholeBody } from "../../src/net/whole_body.ts";

/** What the raw server does for one request. */
interface Reply {
  /** Bytes written as they are (status line, headers and body). */
  wire: string;
  /** Close the connection after writing. */
  close?: boolean;
  /** Write the first `split` bytes, wait `pauseMs`, then the rest. */
  split?: number;
  pauseMs?: number;
}

/**
 * A loopback server that answers each request with exactly the bytes given,
 * so a test can send what real servers send: chunked, close-delimited,
 * HTTP/1.0, interim responses, broken framing.
 */
function rawServer(reply: (path: string) => Reply) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const conns = new Set<Deno.Conn>();
  let accepted = 0;
  const requests: string[] = [];
  const serve = async (conn: Deno.Conn) => {
    const buf = new Uint8Array(16384);
    let pending = "";
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) return;
        pending += new TextDecoder().decode(buf.subarray(0, n));
        let end;
        while ((end = pending.indexOf("\r\n\r\n")) >= 0) {
          const head = pending.slice(0, end);
          pending = pending.slice(end + 4);
          requests.push(head);
          const r = reply(head.split(" ")[1]);
          const bytes = new TextEncoder().encode(r.wire);
          const cut = r.split ?? bytes.length;
          await conn.write(bytes.subarray(0, cut));
          if (cut < bytes.length) {
            await delay(r.pauseMs ?? 0);
            await conn.write(bytes.subarray(cut));
          }
          if (r.close) return;
        }
      }
    } catch {
      // the client went away
    } finally {
      conns.delete(conn);
      try {
        conn.close();
      } catch {
        // closed already
      }
    }
  };
  const loop = (async () => {
    for await (const conn of listener) {
      accepted++;
      conns.add(conn);
      serve(conn);
    }
  })();
  return {
    target: { protocol: "http:", hostname: "127.0.0.1", port, address: "127.0.0.1" } as HttpTarget,
    get accepted() {
      return accepted;
    },
    requests,
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // closed already
        }
      }
      await loop.catch(() => {});
    },
  };
}

const ok = (body: string, extra = "") =>
  `HTTP/1.1 200 OK\r\nContent-Length: ${
    new TextEncoder().encode(body).length
  }\r\n${extra}\r\n${body}`;

function get(client: HttpClient, target: HttpTarget, path: string, signal?: AbortSignal) {
  return client.request(target, {
    path,
    headers: { "user-agent": "t" },
    signal: signal ?? new AbortController().signal,
  });
}

Deno.test("HttpClient reuses one connection for sequential keep-alive requests", async () => {
  await using srv = rawServer(() => ({ wire: ok("hello") }));
  await using client = new HttpClient();
  for (let i = 0; i < 3; i++) {
    assert.equal(await (await get(client, srv.target, "/")).text(), "hello");
  }
  assert.equal(srv.accepted, 1);
  assert.match(srv.requests[0], /^GET \/ HTTP\/1\.1\r\nhost: 127\.0\.0\.1:\d+\r\nuser-agent: t$/);
});

Deno.test("HttpClient decodes a chunked body split across writes", async () => {
  const wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
    "4\r\nWiki\r\n5;x=y\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nTrailer: t\r\n\r\n";
  await using srv = rawServer(() => ({ wire, split: 60, pauseMs: 20 }));
  await using client = new HttpClient();
  const res = await get(client, srv.target, "/");
  assert.equal(await res.text(), "Wikipedia in\r\n\r\nchunks.");
  assert.equal(await (await get(client, srv.target, "/")).text(), "Wikipedia in\r\n\r\nchunks.");
  assert.equal(srv.accepted, 1, "a complete chunked body leaves the connection reusable");
});

Deno.test("HttpClient reads an HTTP/1.0 body to the end of the connection", async () => {
  await using srv = rawServer(() => ({ wire: "HTTP/1.0 200 OK\r\n\r\nold school", close: true }));
  await using client = new HttpClient();
  assert.equal(await (await get(client, srv.target, "/")).text(), "old school");
  assert.equal(await (await get(client, srv.target, "/")).text(), "old school");
  assert.equal(srv.accepted, 2, "not reused");
});

Deno.test("HttpClient opens a new connection after Connection: close", async () => {
  await using srv = rawServer(() => ({ wire: ok("x", "Connection: close\r\n"), close: true }));
  await using client = new HttpClient();
  await (await get(client, srv.target, "/")).text();
  await (await get(client, srv.target, "/")).text();
  assert.equal(srv.accepted, 2);
});

Deno.test("HttpClient skips interim responses", async () => {
  await using srv = rawServer(() => ({
    wire: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n" +
      ok("final"),
  }));
  await using client = new HttpClient();
  const res = await get(client, srv.target, "/");
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "final");
});

Deno.test("HttpClient retries once on a fresh connection when a pooled one was closed", async () => {
  // The server closes each connection after answering, without saying so.
  await using srv = rawServer(() => ({ wire: ok("again"), close: true }));
  await using client = new HttpClient();
  assert.equal(await (await get(client, srv.target, "/")).text(), "again");
  await delay(20); // the server's close reaches the idle pooled connection
  assert.equal(await (await get(client, srv.target, "/")).text(), "again");
  assert.equal(srv.accepted, 2);
});

Deno.test("HttpClient gives 204 a null body and keeps the connection", async () => {
  await using srv = rawServer((p) => ({
    wire: p === "/empty" ? "HTTP/1.1 204 No Content\r\n\r\n" : ok("after"),
  }));
  await using client = new HttpClient();
  const res = await get(client, srv.target, "/empty");
  assert.equal(res.status, 204);
  assert.equal(res.body, null);
  assert.equal(await (await get(client, srv.target, "/")).text(), "after");
  assert.equal(srv.accepted, 1);
});

Deno.test("HttpClient fails a body cut short with a TypeError", async () => {
  await using srv = rawServer(() => ({
    wire: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten..",
    close: true,
  }));
  await using client = new HttpClient();
  const res = await get(client, srv.target, "/");
  await assert.rejects(res.text(), TypeError);
});

Deno.test("HttpClient rejects malformed responses with Http1Error", async () => {
  const replies: Record<string, string> = {
    "/status": "HTTP/2 200 OK\r\n\r\n",
    "/length": "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello",
    "/huge": "HTTP/1.1 200 OK\r\n" + "X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n".repeat(100),
  };
  await using srv = rawServer((p) => ({ wire: replies[p], close: p !== "/huge" }));
  await using client = new HttpClient({ maxHeadBytes: 2048 });
  await assert.rejects(get(client, srv.target, "/status"), Http1Error);
  await assert.rejects(get(client, srv.target, "/length"), /Conflicting Content-Length/);
  await assert.rejects(get(client, srv.target, "/huge"), /larger than 2048/);
});

Deno.test("HttpClient errors the body with the abort reason and drops the connection", async () => {
  const body = "x".repeat(1000);
  await using srv = rawServer(() => ({ wire: ok(body), split: 300, pauseMs: 2000 }));
  await using client = new HttpClient();
  const ac = new AbortController();
  const res = await get(client, srv.target, "/", ac.signal);
  const reader = res.body!.getReader();
  await reader.read();
  ac.abort(new Error("stop"));
  await assert.rejects(reader.read(), /stop/);
  await assert.rejects(get(client, srv.target, "/", ac.signal), /stop/, "aborted before sending");
});

Deno.test("HttpClient does not reuse a connection whose cancelled body has over 64 KiB left", async () => {
  await using srv = rawServer(() => ({ wire: ok("y".repeat(200_000)) }));
  await using client = new HttpClient();
  const res = await get(client, srv.target, "/");
  await res.body!.cancel();
  assert.equal((await (await get(client, srv.target, "/")).text()).length, 200_000);
  assert.equal(srv.accepted, 2);
});

/** Waits until `ok()` holds, polling, or fails with `what` after 5 s. */
async function waitFor(ok: () => boolean, what: string): Promise<void> {
  const until = performance.now() + 5000;
  while (!ok()) {
    if (performance.now() > until) throw new Error(`Timed out waiting: ${what}`);
    await delay(5);
  }
}

Deno.test("HttpClient keeps the connection of an unread small body (redirect, 404, chunked)", async () => {
  const replies: Record<string, Reply> = {
    "/redirect": {
      wire: "HTTP/1.1 301 Moved\r\nLocation: /x\r\nContent-Length: 40\r\n\r\n" + "r".repeat(40),
    },
    "/missing": {
      wire: "HTTP/1.1 404 Not Found\r\nContent-Length: 20000\r\n\r\n" + "n".repeat(20000),
    },
    // The rest of the body comes after the cancel: the drain waits for it.
    "/late": { wire: ok("l".repeat(30000)), split: 100, pauseMs: 50 },
    "/chunked": {
      wire: "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n" +
        "5\r\nhello\r\n" + "1000\r\n" + "c".repeat(4096) + "\r\n0\r\n\r\n",
      split: 80,
      pauseMs: 20,
    },
    "/next": { wire: ok("next") },
  };
  await using srv = rawServer((p) => replies[p]);
  await using client = new HttpClient();
  for (const path of ["/redirect", "/missing", "/late", "/chunked"]) {
    const res = await get(client, srv.target, path);
    await res.body!.cancel();
    await waitFor(() => client.idleConnections === 1, `${path}: connection back in the pool`);
    assert.equal(await (await get(client, srv.target, "/next")).text(), "next", path);
  }
  assert.equal(srv.accepted, 1, "every request on the one connection");
});

Deno.test("HttpClient closes a connection whose unread body breaks off or is malformed", async () => {
  const replies: Record<string, Reply> = {
    // Announces 1000 bytes, sends 10 and closes: the drain meets the end early.
    "/short": {
      wire: "HTTP/1.1 404 Not Found\r\nContent-Length: 1000\r\n\r\n" + "s".repeat(10),
      split: 60,
      pauseMs: 20,
      close: true,
    },
    "/bad-chunk": {
      wire: "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n" + "zz\r\n",
      split: 60,
      pauseMs: 20,
    },
    "/next": { wire: ok("next") },
  };
  await using srv = rawServer((p) => replies[p]);
  await using client = new HttpClient();
  // /short on a new connection, /next on another; /bad-chunk reuses that one, /next a third.
  for (const [path, accepted] of [["/short", 2], ["/bad-chunk", 3]] as const) {
    const res = await get(client, srv.target, path);
    await res.body!.cancel();
    await waitFor(() => client.busyConnections === 0, `${path}: drain ended`);
    assert.equal(client.idleConnections, 0, `${path}: not pooled`);
    assert.equal(await (await get(client, srv.target, "/next")).text(), "next");
    assert.equal(srv.accepted, accepted, `${path}: a new connection after it`);
  }
});

Deno.test("HttpClient closes idle connections after idleTimeoutMs", async () => {
  await using srv = rawServer(() => ({ wire: ok("z") }));
  await using client = new HttpClient({ idleTimeoutMs: 100 });
  await (await get(client, srv.target, "/")).text();
  await delay(400);
  await (await get(client, srv.target, "/")).text();
  assert.equal(srv.accepted, 2);
});

Deno.test("HttpClient refuses header values that would split the request", async () => {
  await using srv = rawServer(() => ({ wire: ok("n") }));
  await using client = new HttpClient();
  const req = {
    path: "/",
    headers: { "x-evil": "a\r\nInjected: 1" },
    signal: new AbortController().signal,
  };
  await assert.rejects(client.request(srv.target, req), TypeError);
  assert.equal(srv.requests.length, 0);
});

Deno.test("HttpClient reports a refused connection as a TypeError", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  await using client = new HttpClient();
  const target: HttpTarget = {
    protocol: "http:",
    hostname: "127.0.0.1",
    port,
    address: "127.0.0.1",
  };
  await assert.rejects(get(client, target, "/"), TypeError);
});

Deno.test("HttpClient refuses requests once closed", async () => {
  await using srv = rawServer(() => ({ wire: ok("c") }));
  const client = new HttpClient();
  await (await get(client, srv.target, "/")).text();
  client.close();
  await assert.rejects(get(client, srv.target, "/"), /closed/);
});

Deno.test("HttpClient gives up opening a connection after connectTimeoutMs", async () => {
  // A dialer that never answers stands for a black-holed address (no packet leaves loopback).
  let dials = 0;
  const dial = () => {
    dials++;
    return new Promise<Deno.TcpConn>(() => {});
  };
  await using client = new HttpClient({ dial, connectTimeoutMs: 5000 });
  const target: HttpTarget = {
    protocol: "http:",
    hostname: "a.test",
    port: 80,
    address: "192.0.2.1",
  };
  const req = { path: "/", headers: {}, signal: new AbortController().signal };
  const started = performance.now();
  await assert.rejects(
    client.request(target, { ...req, connectTimeoutMs: 50 }),
    (e) =>
      e instanceof ConnectError && e.code === "connect_timeout" &&
      /192\.0\.2\.1:80 not established within 50 ms/.test(e.message),
  );
  assert.ok(performance.now() - started < 4000, "the request's deadline, not the client's");
  // The caller's signal still ends a connect at once.
  const ac = new AbortController();
  const pending = client.request(target, { ...req, signal: ac.signal });
  ac.abort(new Error("cancelled"));
  await assert.rejects(pending, /cancelled/);
  assert.equal(dials, 2);
});

Deno.test("HttpClient fails a fresh connection closed before any response, without retrying", async () => {
  await using srv = rawServer(() => ({ wire: "", close: true }));
  await using client = new HttpClient();
  await assert.rejects(
    get(client, srv.target, "/"),
    (e) =>
      e instanceof TypeError && !(e instanceof Http1Error) &&
      /closed before the end of the response head/.test(e.message),
  );
  assert.equal(srv.accepted, 1, "a new connection that says nothing is not retried");
  assert.equal(client.busyConnections, 0);
  assert.equal(client.idleConnections, 0);
});

Deno.test("HttpClient fails a response whose connection ends inside the head", async () => {
  await using srv = rawServer(() => ({
    wire: "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Le",
    close: true,
  }));
  await using client = new HttpClient();
  await assert.rejects(get(client, srv.target, "/"), /closed before the end of the response head/);
  assert.equal(srv.accepted, 1);
});

Deno.test("HttpClient reads a head larger than its first 8 KiB read", async () => {
  const pad = Array.from({ length: 40 }, (_, i) => `X-Pad-${i}: ${"p".repeat(500)}\r\n`).join("");
  await using srv = rawServer(() => ({
    wire: ok("after a big head", pad),
    split: 5000,
    pauseMs: 10,
  }));
  await using client = new HttpClient();
  const res = await get(client, srv.target, "/");
  assert.equal(res.headers.get("x-pad-0"), "p".repeat(500));
  assert.equal(res.headers.get("x-pad-39"), "p".repeat(500));
  assert.equal(await res.text(), "after a big head");
  assert.equal(await (await get(client, srv.target, "/")).text(), "after a big head");
  assert.equal(srv.accepted, 1, "and keeps the connection");
});

Deno.test("HttpClient rejects unexpected status lines with Http1Error", async () => {
  const replies: Record<string, string> = {
    "/switching": "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
    "/too-big": "HTTP/1.1 600 Beyond\r\nContent-Length: 0\r\n\r\n",
    "/icy": "ICY 200 OK\r\n\r\n",
    "/two-digits": "HTTP/1.1 20 OK\r\n\r\n",
    "/html": "<html><body>no status line</body></html>\n\n",
  };
  await using srv = rawServer((p) => ({ wire: replies[p], close: true }));
  await using client = new HttpClient();
  await assert.rejects(get(client, srv.target, "/switching"), {
    name: "Http1Error",
    message: "Unexpected status 101",
  });
  await assert.rejects(get(client, srv.target, "/too-big"), {
    name: "Http1Error",
    message: "Unexpected status 600",
  });
  for (const path of ["/icy", "/two-digits", "/html"]) {
    await assert.rejects(
      get(client, srv.target, path),
      (e) => e instanceof Http1Error && /^Malformed status line/.test(e.message),
      path,
    );
  }
  assert.equal(client.busyConnections + client.idleConnections, 0, "every such connection closed");
});

Deno.test("HttpClient close() fails requests and bodies in flight and closes their connections", async () => {
  await using srv = rawServer((p) =>
    p === "/slow-head"
      ? { wire: ok("late"), split: 5, pauseMs: 3000 }
      : { wire: ok("x".repeat(1000)), split: 300, pauseMs: 3000 }
  );
  const client = new HttpClient();
  const waiting = get(client, srv.target, "/slow-head");
  const res = await get(client, srv.target, "/slow-body");
  const reader = res.body!.getReader();
  await reader.read();
  const bodyRead = reader.read();
  await waitFor(() => client.busyConnections === 2, "two requests in flight");
  const started = performance.now();
  client.close();
  await Promise.all([
    assert.rejects(waiting, TypeError),
    assert.rejects(bodyRead, { name: "TypeError", message: "HttpClient is closed" }),
  ]);
  assert.ok(performance.now() - started < 2500, "at once, not when the server answers");
  assert.equal(client.busyConnections, 0);
  await assert.rejects(get(client, srv.target, "/"), /closed/);
});

Deno.test("HttpClient keeps at most maxIdlePerHost idle connections", async () => {
  await using srv = rawServer(() => ({ wire: ok("pooled"), split: 20, pauseMs: 30 }));
  await using client = new HttpClient({ maxIdlePerHost: 2 });
  const texts = await Promise.all(
    Array.from({ length: 5 }, async () => (await get(client, srv.target, "/")).text()),
  );
  assert.deepEqual(texts, Array(5).fill("pooled"));
  assert.equal(srv.accepted, 5, "five at once need five connections");
  assert.equal(client.idleConnections, 2, "two kept, three closed");
  await Promise.all(
    Array.from({ length: 2 }, async () => (await get(client, srv.target, "/")).text()),
  );
  assert.equal(srv.accepted, 5, "the two kept are reused");
});

Deno.test("HttpClient calls onBodyEnd once with the status when each kind of body has been read", async () => {
  const long = "y".repeat(100_000);
  const replies: Record<string, Reply> = {
    "/whole": { wire: ok("small page") },
    "/split": { wire: ok(long), split: 2000, pauseMs: 20 },
    "/chunked": {
      wire: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n0\r\n\r\n",
      split: 60,
      pauseMs: 20,
    },
    "/close": { wire: "HTTP/1.0 404 Not Found\r\n\r\nold school", close: true },
    "/empty": { wire: "HTTP/1.1 204 No Content\r\n\r\n" },
    "/zero": { wire: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" },
  };
  await using srv = rawServer((p) => replies[p]);
  await using client = new HttpClient();
  for (const [path, text] of Object.entries({ "/whole": "small page", "/split": long })) {
    const calls: number[] = [];
    const res = await client.request(srv.target, {
      path,
      headers: {},
      signal: new AbortController().signal,
      onBodyEnd: (status) => calls.push(status),
    });
    if (path === "/whole") {
      // Came whole with the head: ended, and the connection pooled, before request() resolved.
      assert.deepEqual(calls, [200]);
      assert.equal(client.idleConnections, 1);
    } else assert.deepEqual(calls, [], "not before the body has been read");
    assert.equal(await res.text(), text);
    assert.deepEqual(calls, [200], path);
  }
  for (
    const [path, status] of [["/chunked", 200], ["/close", 404], ["/empty", 204], ["/zero", 200]]
  ) {
    const calls: number[] = [];
    const res = await client.request(srv.target, {
      path: path as string,
      headers: {},
      signal: new AbortController().signal,
      onBodyEnd: (s) => calls.push(s),
    });
    await res.body?.cancel(); // read or not, a body that has ended ends once
    if (path === "/chunked" || path === "/close") {
      assert.deepEqual(calls, [], `${path}: cancelled before its end`);
      continue;
    }
    assert.deepEqual(calls, [status], path as string);
  }
  for (const path of ["/chunked", "/close"]) {
    const calls: number[] = [];
    const res = await client.request(srv.target, {
      path,
      headers: {},
      signal: new AbortController().signal,
      onBodyEnd: (s) => calls.push(s),
    });
    await res.arrayBuffer();
    assert.deepEqual(calls, [path === "/close" ? 404 : 200], path);
  }
});

Deno.test("HttpClient passes onBodyEnd the body's length in bytes, whatever its framing", async () => {
  const long = "y".repeat(100_000);
  const replies: Record<string, Reply> = {
    "/whole": { wire: ok("small page") },
    "/split": { wire: ok(long), split: 2000, pauseMs: 20 },
    "/chunked": {
      wire:
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n",
    },
    "/close": { wire: "HTTP/1.0 404 Not Found\r\n\r\nold school", close: true },
    "/zero": { wire: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" },
  };
  await using srv = rawServer((p) => replies[p]);
  await using client = new HttpClient();
  const expected = { "/whole": 10, "/split": 100_000, "/chunked": 9, "/close": 10, "/zero": 0 };
  for (const [path, bytes] of Object.entries(expected)) {
    const calls: [number, number][] = [];
    const res = await client.request(srv.target, {
      path,
      headers: {},
      signal: new AbortController().signal,
      onBodyEnd: (status, n) => calls.push([status, n]),
    });
    await res.arrayBuffer();
    assert.deepEqual(calls, [[path === "/close" ? 404 : 200, bytes]], path);
  }
});

Deno.test("HttpClient reuses a connection's head buffer without mixing one answer's bytes into the next", async () => {
  const big = "h".repeat(12_000); // a head larger than the first read, then normal ones
  const replies: Record<string, Reply> = {
    "/first": { wire: ok("A".repeat(5000)) },
    "/second": { wire: ok("short") },
    "/big-head": { wire: `HTTP/1.1 200 OK\r\nX-Big: ${big}\r\nContent-Length: 3\r\n\r\nbig` },
    "/third": { wire: ok("B".repeat(7000)) },
  };
  await using srv = rawServer((p) => replies[p]);
  await using client = new HttpClient();
  const kept: Uint8Array[][] = [];
  const texts: string[] = [];
  for (const path of ["/first", "/second", "/big-head", "/third", "/second"]) {
    const res = await client.request(srv.target, {
      path,
      headers: {},
      signal: new AbortController().signal,
    });
    if (path === "/big-head") assert.equal(res.headers.get("x-big"), big);
    const chunks: Uint8Array[] = [];
    for await (const c of res.body!) chunks.push(c);
    kept.push(chunks);
    texts.push(chunks.map((c) => new TextDecoder().decode(c)).join(""));
  }
  assert.equal(srv.accepted, 1, "one connection served them all");
  assert.deepEqual(texts, ["A".repeat(5000), "short", "big", "B".repeat(7000), "short"]);
  // The chunks a consumer keeps are its own: the answers read after them left them as they were.
  const later = kept.map((chunks) => chunks.map((c) => new TextDecoder().decode(c)).join(""));
  assert.deepEqual(later, texts);
});

Deno.test("HttpClient grows a connection's first read to fit its answers, up to 32 KiB", async () => {
  const page = "p".repeat(20_000);
  const huge = "q".repeat(50_000);
  const replies: Record<string, Reply> = {
    "/page": { wire: ok(page) },
    "/huge": { wire: ok(huge) },
  };
  await using srv = rawServer((p) => replies[p]);
  await using client = new HttpClient();
  /** The body's chunks, and whether onBodyEnd came before request() resolved. */
  const fetchChunks = async (path: string) => {
    let ended = false;
    const res = await client.request(srv.target, {
      path,
      headers: {},
      signal: new AbortController().signal,
      onBodyEnd: () => ended = true,
    });
    const endedFirst = ended;
    const chunks: number[] = [];
    for await (const c of res.body!) chunks.push(c.length);
    return { chunks, endedFirst };
  };
  // The first answer overflows the 8 KiB first read: the rest takes another read.
  const first = await fetchChunks("/page");
  assert.ok(first.chunks.length >= 2, `first answer in ${first.chunks.length} chunk(s)`);
  assert.equal(first.endedFirst, false);
  // The next one on the same connection comes whole with its head, in one read.
  const second = await fetchChunks("/page");
  assert.deepEqual(second, { chunks: [20_000], endedFirst: true });
  // 50 KB is past the cap: 32 KiB at most come with the head.
  const third = await fetchChunks("/huge");
  assert.ok(third.chunks[0] <= 32 * 1024, `first chunk ${third.chunks[0]} bytes`);
  assert.equal(third.chunks.reduce((a, b) => a + b), 50_000);
  assert.equal(srv.accepted, 1, "one connection");
});

Deno.test("HttpClient still refuses a head over maxHeadBytes once its first read has grown", async () => {
  const replies: Record<string, Reply> = {
    "/page": { wire: ok("p".repeat(20_000)) },
    "/long-head": { wire: ok("x", `X-Long: ${"h".repeat(4000)}\r\n`) },
  };
  await using srv = rawServer((p) => replies[p]);
  await using client = new HttpClient({ maxHeadBytes: 2048 });
  for (let i = 0; i < 2; i++) {
    const res = await get(client, srv.target, "/page"); // grows the first read past 2 KiB
    assert.equal((await res.text()).length, 20_000);
  }
  await assert.rejects(get(client, srv.target, "/long-head"), Http1Error);
});

Deno.test("HttpClient does not call onBodyEnd for a body aborted or cut short", async () => {
  await using srv = rawServer((p) =>
    p === "/cut"
      ? { wire: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten..", close: true }
      : { wire: ok("x".repeat(1000)), split: 300, pauseMs: 2000 }
  );
  await using client = new HttpClient();
  const calls: number[] = [];
  const cut = await client.request(srv.target, {
    path: "/cut",
    headers: {},
    signal: new AbortController().signal,
    onBodyEnd: (s) => calls.push(s),
  });
  await assert.rejects(cut.text(), TypeError);
  const ac = new AbortController();
  const slow = await client.request(srv.target, {
    path: "/slow",
    headers: {},
    signal: ac.signal,
    onBodyEnd: (s) => calls.push(s),
  });
  const reading = slow.text();
  ac.abort(new Error("stop"));
  await assert.rejects(reading, /stop/);
  assert.deepEqual(calls, []);
});

Deno.test("HttpClient reports an onBodyEnd that throws and still completes the body", async () => {
  await using srv = rawServer(() => ({ wire: ok("fine") }));
  await using client = new HttpClient();
  const reported: unknown[] = [];
  const onError = (e: ErrorEvent) => {
    e.preventDefault();
    reported.push(e.error);
  };
  globalThis.addEventListener("error", onError);
  try {
    const res = await client.request(srv.target, {
      path: "/",
      headers: {},
      signal: new AbortController().signal,
      onBodyEnd: () => {
        throw new Error("hook failed");
      },
    });
    assert.equal(await res.text(), "fine");
  } finally {
    globalThis.removeEventListener("error", onError);
  }
  assert.equal((reported[0] as Error)?.message, "hook failed");
  assert.equal(client.idleConnections, 1, "the connection still went back to the pool");
});

Deno.test("HttpClient records a body that came whole with its head (takeWholeBody), not one read later", async () => {
  const replies: Record<string, Reply> = {
    "/whole": { wire: ok("whole body") },
    "/empty": { wire: ok("") },
    // The head and part of the body, then the rest 200 ms later: two reads.
    "/split": { wire: ok("split body"), split: 45, pauseMs: 200 },
    "/chunked": {
      wire: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    },
  };
  await using srv = rawServer((p) => replies[p]);
  await using client = new HttpClient();
  const text = (b: Uint8Array | null) => b === null ? null : new TextDecoder().decode(b);
  const whole = await get(client, srv.target, "/whole");
  const kept = takeWholeBody(whole);
  assert.equal(text(kept), "whole body");
  assert.equal(takeWholeBody(whole), null, "taken once");
  assert.equal(whole.bodyUsed, true, "taking the bytes cancels the stream");
  // Not taken, the same body is read from the stream as usual.
  assert.equal(await (await get(client, srv.target, "/whole")).text(), "whole body");
  assert.equal(text(takeWholeBody(await get(client, srv.target, "/empty"))), "");
  const split = await get(client, srv.target, "/split");
  assert.equal(takeWholeBody(split), null);
  assert.equal(await split.text(), "split body");
  const chunked = await get(client, srv.target, "/chunked");
  assert.equal(takeWholeBody(chunked), null);
  assert.equal(await chunked.text(), "abc");
  assert.equal(text(kept), "whole body", "later answers on the connection left the bytes alone");
  assert.equal(srv.accepted, 1);
});
