/** A loopback server answering from a table of routes, counting hits. */
export interface Route {
  status?: number;
  headers?: Record<string, string>;
  body: string | Uint8Array | (() => ReadableStream<Uint8Array>);
}

/** A running route server; dispose it to stop. */
export interface RouteServer extends AsyncDisposable {
  origin: string;
  hits: Map<string, number>;
}

/** Serves `routes` (path with query → route) on 127.0.0.1; unknown paths are 404. */
export function serveRoutes(routes: Record<string, Route>): RouteServer {
  const hits = new Map<string, number>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const u = new URL(req.url);
    const key = u.pathname + u.search;
    hits.set(key, (hits.get(key) ?? 0) + 1);
    const r = routes[key];
    if (!r) return new Response("not found", { status: 404 });
    const body = typeof r.body === "function" ? r.body() : r.body;
    return new Response(body as BodyInit, {
      status: r.status ?? 200,
      headers: r.headers ?? { "content-type": "text/html; charset=utf-8" },
    });
  });
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    hits,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}
