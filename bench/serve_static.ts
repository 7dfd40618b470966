/**
 * A static file server for the engine benchmark, run as its own process so
 * the crawler's event loop is measured alone: every file under a directory
 * is loaded into memory once and served by path.
 *
 * `deno run --allow-read --allow-net bench/serve_static.ts DIR` prints
 * `listening on http://127.0.0.1:PORT` and serves until killed.
 *
 * @module
 */

async function load(dir: string, prefix = ""): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for await (const e of Deno.readDir(dir + prefix)) {
    const rel = `${prefix}/${e.name}`;
    if (e.isDirectory) { for (const [k, v] of await load(dir, rel)) files.set(k, v); }
    else if (e.isFile) files.set(rel, await Deno.readFile(dir + rel));
  }
  return files;
}

if (import.meta.main) {
  const dir = Deno.args[0];
  if (!dir) {
    console.error("usage: serve_static.ts DIR");
    Deno.exit(2);
  }
  const files = await load(dir);
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: ({ port }) => console.log(`listening on http://127.0.0.1:${port}`),
  }, (req) => {
    let path = decodeURIComponent(new URL(req.url).pathname);
    if (path.endsWith("/")) path += "index.html";
    const body = files.get(path);
    if (!body) return new Response("not found", { status: 404 });
    const type = path.endsWith(".html") ? "text/html; charset=utf-8" : "text/plain";
    return new Response(body as Uint8Array<ArrayBuffer>, { headers: { "content-type": type } });
  });
  Deno.addSignalListener("SIGTERM", () => server.shutdown());
  await server.finished;
}
