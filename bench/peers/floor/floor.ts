/**
 * The floor: the least a Deno program has to do to crawl the benchmark's sites,
 * run as peer `deno-floor` of `bench:peers`. It is not a crawler anyone should
 * use; it shows what this runtime can reach on this machine, so skein's
 * figures (and the targets) can be read against it.
 *
 * What it does per page: one HTTP/1.1 GET on a kept-alive `Deno.connect`
 * socket, the answer read up to its `Content-Length` (both benchmark servers
 * send one; anything else is an error), the body decoded as UTF-8, the
 * `href="…"` attributes (the form both sites write) found with one regular
 * expression, each resolved against the page
 * (string operations for `/path`, `name` and `../name`, which are nearly all
 * of the benchmark's links; `URL.parse`, about 5 µs a link here, for the
 * rest), kept on the seed's origin, without fragment, once. 10 ms
 * after start (the seed's request goes first) it opens connections up to C,
 * as skein's pre-connect does. What it leaves out, next to skein: no timeouts, retries,
 * redirects, robots.txt, charset sniffing, HTML tokenizer, normalization,
 * limits, body hash or events; it prints one line, `{"pages":N}`.
 *
 * ```sh
 * deno run --allow-net bench/peers/floor/floor.ts --concurrency 64 http://127.0.0.1:18080/index.html
 * ```
 * @module
 */
// No `node:util` parseArgs: loading the Node layer costs 10-18 ms of start-up.
const args = [...Deno.args];
const flag = args.indexOf("--concurrency");
const concurrency = flag < 0 ? 64 : Number(args.splice(flag, 2)[1]);
const seed = URL.parse(args[0] ?? "");
if (!seed || seed.protocol !== "http:" || !(concurrency >= 1)) {
  console.error("usage: floor.ts --concurrency C http://HOST:PORT/PATH");
  Deno.exit(2);
}
const origin = seed.origin;
const hostname = seed.hostname;
const port = Number(seed.port || 80);
const hostHeader = seed.host;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Both benchmark sites write `href="…"`; a real page would need more (see the module doc). */
const HREF = /href="([^"]*)"/g;
const HEAD_END = encoder.encode("\r\n\r\n");
const CONTENT_LENGTH = /\r\ncontent-length:\s*(\d+)/i;

const seen = new Set<string>([seed.href.replace(/#.*/, "")]);
const queue: string[] = [...seen];
const idle: Deno.TcpConn[] = [];
let inFlight = 0;
let pages = 0;
const { promise: finished, resolve: finish, reject: fail } = Promise.withResolvers<void>();

/** Connections opened or opening: never more than `concurrency`. */
let opened = 0;

async function connect(): Promise<Deno.TcpConn> {
  opened++;
  const conn = await Deno.connect({ hostname, port });
  conn.setNoDelay(true);
  return conn;
}

function headEnd(buf: Uint8Array, len: number): number {
  outer: for (let i = 0; i + 4 <= len; i++) {
    for (let k = 0; k < 4; k++) if (buf[i + k] !== HEAD_END[k]) continue outer;
    return i + 4;
  }
  return -1;
}

/** GETs `url` on an idle connection (or a new one) and returns the body as text. */
async function get(url: string): Promise<string> {
  const conn = idle.pop() ?? await connect();
  const path = url.slice(origin.length) || "/";
  await conn.write(encoder.encode(`GET ${path} HTTP/1.1\r\nhost: ${hostHeader}\r\n\r\n`));
  let buf = new Uint8Array(32 * 1024);
  let len = 0;
  let bodyStart = -1;
  let total = -1;
  for (;;) {
    if (len === buf.length) {
      const bigger = new Uint8Array(buf.length * 2);
      bigger.set(buf);
      buf = bigger;
    }
    const n = await conn.read(buf.subarray(len));
    if (n === null) throw new Error(`connection closed during ${url}`);
    len += n;
    if (bodyStart < 0) {
      bodyStart = headEnd(buf, len);
      if (bodyStart < 0) continue;
      const m = CONTENT_LENGTH.exec(decoder.decode(buf.subarray(0, bodyStart)));
      if (!m) throw new Error(`${url}: no Content-Length`);
      total = bodyStart + Number(m[1]);
    }
    if (len >= total) break;
  }
  idle.push(conn);
  return decoder.decode(buf.subarray(bodyStart, total));
}

/** Paths made of these characters resolve by string operations (see `resolve`). */
const PLAIN = /^[\w\-./]+$/;

/** `raw` resolved against `page`, without fragment, when it is on the seed's origin. */
function resolve(raw: string, page: string): string | null {
  const hash = raw.indexOf("#");
  const href = hash < 0 ? raw : raw.slice(0, hash);
  if (href === "") return null;
  if (PLAIN.test(href) && !href.startsWith("//")) {
    if (href.charCodeAt(0) === 47 /* / */) {
      if (!href.includes("/.")) return origin + href;
    } else {
      let dir = page.slice(0, page.lastIndexOf("/") + 1);
      let rest = href;
      while (rest.startsWith("../")) {
        rest = rest.slice(3);
        const cut = dir.lastIndexOf("/", dir.length - 2);
        if (cut >= origin.length) dir = dir.slice(0, cut + 1);
      }
      if (!rest.startsWith(".") && !rest.includes("/.")) return dir + rest;
    }
  }
  const u = URL.parse(href, page);
  if (u === null || u.origin !== origin) return null;
  return u.href;
}

function pump(): void {
  while (inFlight < concurrency && queue.length > 0) {
    const url = queue.pop()!;
    inFlight++;
    get(url).then((html) => {
      inFlight--;
      pages++;
      for (const m of html.matchAll(HREF)) {
        const href = resolve(m[1], url);
        if (href !== null && !seen.has(href)) {
          seen.add(href);
          queue.push(href);
        }
      }
      pump();
      if (inFlight === 0 && queue.length === 0) finish();
    }, fail);
  }
}

pump();
// After the seed's own connection: 499 connects at once would hold up its request by 60 ms.
setTimeout(() => {
  while (opened < concurrency) connect().then((conn) => idle.push(conn), fail);
}, 10);
await finished.catch((e) => {
  console.error(`floor: ${e instanceof Error ? e.message : e}`);
  Deno.exit(1);
});
for (const conn of idle) conn.close();
console.log(JSON.stringify({ pages }));
