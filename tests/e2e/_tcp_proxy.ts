/** A loopback TCP proxy whose upstream can be cut, to play a database outage. */

export interface TcpProxy extends AsyncDisposable {
  port: number;
  /** Drops every open connection and refuses new ones until `up()`. */
  down(): void;
  up(): void;
}

/** Forwards 127.0.0.1:<port> to `target`. */
export function startTcpProxy(target: { hostname: string; port: number }): TcpProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  const pipes = new Set<Promise<unknown>>();
  let isDown = false;
  const closeConn = (c: Deno.Conn) => {
    if (open.delete(c)) {
      try {
        c.close();
      } catch {
        // already closed
      }
    }
  };
  const accepting = (async () => {
    for await (const client of listener) {
      if (isDown) {
        client.close();
        continue;
      }
      let upstream: Deno.Conn;
      try {
        upstream = await Deno.connect(target);
      } catch {
        client.close();
        continue;
      }
      open.add(client);
      open.add(upstream);
      const pair = [client, upstream];
      const p = Promise.allSettled([
        client.readable.pipeTo(upstream.writable, { preventClose: true }),
        upstream.readable.pipeTo(client.writable, { preventClose: true }),
      ]).finally(() => pair.forEach(closeConn));
      pipes.add(p);
      p.finally(() => pipes.delete(p));
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    down() {
      isDown = true;
      for (const c of [...open]) closeConn(c);
    },
    up() {
      isDown = false;
    },
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const c of [...open]) closeConn(c);
      await accepting;
      await Promise.allSettled([...pipes]);
    },
  };
}
