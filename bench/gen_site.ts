/**
 * Generates the deterministic synthetic site the benchmarks crawl: `pages` HTML
 * pages of about `pageBytes` bytes with about `links` links each, plus a
 * `robots.txt` that allows everything.
 *
 * Layout: page 0 is `/index.html`; page `i > 0` is `/s{i % 32}/p{i}.html`.
 * Page `i` links to its tree children `8i+1 .. 8i+8`, to `i-1` and `i+1`, to a
 * few fixed navigation pages and to random others, so every page is reachable
 * from `/index.html` in about log8(pages) hops. Links come as absolute paths
 * (`/s3/p12.html`), relative paths (`p44.html`, `./p76.html`,
 * `../s5/p37.html`), with fragments (`p12.html#s2`, `#top`), repeated within a
 * page, and off-site (`http://offsite.invalid/...`). Every same-site link
 * points at a page that exists, so a complete crawl fetches exactly `pages`
 * HTML pages.
 *
 * Importing this module has no side effects; run it as a CLI with
 * `deno run -A bench/gen_site.ts --pages 10000 --out DIR`.
 *
 * @example
 * ```ts
 * import { generateSite } from "./gen_site.ts";
 * const dir = await Deno.makeTempDir();
 * await generateSite(dir, { pages: 20 });
 * const index = await Deno.readTextFile(`${dir}/index.html`);
 * if (!index.includes("p1.html")) throw new Error("index does not link to page 1");
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */

/** Options of {@linkcode generateSite}. */
export interface GenerateSiteOptions {
  /** Number of HTML pages, `/index.html` included. Must be at least 1. */
  pages: number;
  /**
   * Seed of the PRNG; the same options give byte-identical sites.
   * @default {1}
   */
  seed?: number;
  /**
   * Approximate size of each page in bytes.
   * @default {20000}
   */
  pageBytes?: number;
  /**
   * Approximate number of `<a href>` per page (duplicates and off-site links included).
   * @default {50}
   */
  links?: number;
  /** Aborts the generation between files. */
  signal?: AbortSignal;
}

/** Number of section directories pages are spread over. */
export const SECTIONS = 32;
/** Tree fan-out: page `i` links to `FANOUT*i+1 .. FANOUT*i+FANOUT`. */
export const FANOUT = 8;

const WORDS = (
  "the of and to in is was for on that with as by at from this which are be an or have not " +
  "crawler frontier queue fetch page link robots host origin scope depth politeness delay " +
  "request response header body stream parser anchor index sitemap canonical redirect status " +
  "latency throughput bandwidth socket connection keepalive timeout retry backoff jitter cache " +
  "river mountain harbour lantern meadow copper violet orchard glacier thistle ember willow " +
  "quartz saffron tundra beacon cobalt juniper marble nectar pebble quiver rustic sable timber " +
  "umber velvet wander yonder zephyr amber bristle cinder dapple fable garnet hollow ivory"
).split(" ");

const STYLE = `
body{font-family:Georgia,serif;margin:0 auto;max-width:52rem;line-height:1.5;color:#222}
header,footer{background:#f4f1ea;padding:.5rem 1rem}nav a{margin-right:.75rem}
article p{text-align:justify}aside{float:right;width:14rem;font-size:.9em}
.meta{color:#777;font-size:.8em}`;

/** Path (leading slash) of page `i`. */
export function pagePath(i: number): string {
  return i === 0 ? "/index.html" : `/s${i % SECTIONS}/p${i}.html`;
}

/** mulberry32: a small, fast, deterministic 32-bit PRNG returning floats in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pageRng(seed: number, i: number): () => number {
  return mulberry32(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35));
}

/** An href from page `from` to page `to`, in a style chosen by `rnd`. */
function href(from: number, to: number, rnd: () => number): string {
  const abs = pagePath(to);
  const r = rnd();
  if (r < 0.4) return abs;
  if (from === 0) return abs.slice(1); // "s3/p12.html" from the root
  const target = to === 0 ? "index.html" : `p${to}.html`;
  const sameSection = to !== 0 && from % SECTIONS === to % SECTIONS;
  if (to === 0) return "../index.html";
  if (sameSection) return r < 0.7 ? target : `./${target}`;
  return `../s${to % SECTIONS}/${target}`;
}

function words(rnd: () => number, n: number): string {
  const out: string[] = [];
  for (let k = 0; k < n; k++) out.push(WORDS[Math.floor(rnd() * WORDS.length)]);
  return out.join(" ");
}

function sentenceText(rnd: () => number, bytes: number): string {
  let s = "";
  while (s.length < bytes) {
    const w = words(rnd, 6 + Math.floor(rnd() * 12));
    s += w.charAt(0).toUpperCase() + w.slice(1) + ". ";
  }
  return s.trimEnd();
}

/** Renders page `i` of an `n`-page site. Exported for tests and for servers generating on the fly. */
export function renderPage(
  i: number,
  n: number,
  options: { seed?: number; pageBytes?: number; links?: number } = {},
): string {
  const { seed = 1, pageBytes = 20000, links = 50 } = options;
  const rnd = pageRng(seed, i);
  const pick = () => Math.floor(rnd() * n);
  const a = (to: number, text: string) => `<a href="${href(i, to, rnd)}">${text}</a>`;

  // Navigation: a fixed set of pages on every page (duplicates across the site).
  const nav = [0, 1, 2, 3, 4].filter((p) => p < n).map((p) =>
    a(p, p === 0 ? "Home" : `Topic ${p}`)
  );

  // Body links: tree children, neighbours, random others, repeats, fragments, off-site.
  const body: string[] = [];
  for (let c = FANOUT * i + 1; c <= FANOUT * i + FANOUT && c < n; c++) {
    body.push(a(c, `child ${c}`));
  }
  if (i + 1 < n) body.push(a(i + 1, "next"));
  if (i > 0) body.push(a(i - 1, "previous"));
  const offsite = Math.max(1, Math.round(links * 0.06));
  const repeats = Math.max(1, Math.round(links * 0.06));
  const fragments = 2;
  const aside = 4;
  const randoms = Math.max(
    0,
    links - nav.length - body.length - offsite - repeats - fragments - aside,
  );
  for (let k = 0; k < randoms; k++) {
    const to = pick();
    body.push(a(to, words(rnd, 2)));
  }
  for (let k = 0; k < repeats && body.length > 0; k++) {
    body.push(body[Math.floor(rnd() * body.length)].replace(">", ' class="again">'));
  }
  body.push(`<a href="#top">back to top</a>`);
  {
    const to = pick();
    body.push(`<a href="${href(i, to, rnd)}#s${1 + Math.floor(rnd() * 5)}">section</a>`);
  }
  for (let k = 0; k < offsite; k++) {
    const path = words(rnd, 2).replace(" ", "/");
    body.push(`<a href="http://offsite.invalid/${path}.html" rel="nofollow">elsewhere</a>`);
  }
  // Shuffle body links (Fisher-Yates) so the structural ones are spread over the text.
  for (let k = body.length - 1; k > 0; k--) {
    const j = Math.floor(rnd() * (k + 1));
    [body[k], body[j]] = [body[j], body[k]];
  }
  const asideLinks: string[] = [];
  for (let k = 0; k < aside; k++) asideLinks.push(`<li>${a(pick(), words(rnd, 3))}</li>`);

  const title = `Page ${i}: ${words(rnd, 4)}`;
  const head = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<meta name="description" content="${words(rnd, 12)}">
<style>${STYLE}
</style>
<script>window.dataLayer=window.dataLayer||[];function track(e){dataLayer.push({event:e,page:${i},t:Date.now()})}track("view");</script>
</head>
<body id="top">
<header><h1>${title}</h1>
<nav>${nav.join(" ")}</nav></header>
<aside><h2>Related</h2><ul>
${asideLinks.join("\n")}
</ul></aside>
<article>
`;
  const foot = `</article>
<footer><p class="meta">Generated page ${i} of ${n}. ${words(rnd, 8)}.</p>
<script>document.querySelectorAll("a.again").forEach(function(x){x.title="seen"});</script>
</footer>
</body>
</html>
`;
  const paragraphs = Math.max(1, Math.round((pageBytes - head.length - foot.length) / 700));
  let html = head;
  let linkIdx = 0;
  for (let p = 0; p < paragraphs; p++) {
    const remaining = paragraphs - p;
    const take = Math.ceil((body.length - linkIdx) / remaining);
    const chunk = body.slice(linkIdx, linkIdx + take);
    linkIdx += take;
    const budget = Math.max(40, (pageBytes - html.length - foot.length) / remaining - 30);
    const textBytes = Math.max(20, budget - chunk.reduce((s, x) => s + x.length + 1, 0));
    // Interleave the links into the text at sentence boundaries.
    const sentences = sentenceText(rnd, textBytes).split(". ");
    const parts: string[] = [];
    for (let s = 0; s < sentences.length; s++) {
      parts.push(sentences[s] + (s < sentences.length - 1 ? "." : ""));
      if (chunk.length > 0 && (s % 2 === 1 || s === sentences.length - 1)) {
        parts.push(chunk.shift()!);
      }
    }
    parts.push(...chunk);
    const tag = p % 6 === 0 ? `<h2 id="s${p / 6 + 1}">${words(rnd, 3)}</h2>\n` : "";
    html += `${tag}<p>${parts.join(" ")}</p>\n`;
  }
  return html + foot;
}

/** The robots.txt of the site: allows everything. */
export const ROBOTS_TXT = "User-agent: *\nAllow: /\n";

/**
 * Writes the site into `dir` (created if missing): `index.html`, `s{k}/p{i}.html`, `robots.txt`.
 *
 * @example
 * ```ts
 * import { generateSite } from "./gen_site.ts";
 * const dir = await Deno.makeTempDir();
 * await generateSite(dir, { pages: 10, pageBytes: 2000, links: 10 });
 * const robots = await Deno.readTextFile(`${dir}/robots.txt`);
 * if (!robots.includes("Allow: /")) throw new Error("robots.txt should allow everything");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function generateSite(dir: string, options: GenerateSiteOptions): Promise<void> {
  const { pages, seed = 1, pageBytes = 20000, links = 50, signal } = options;
  if (!Number.isInteger(pages) || pages < 1) {
    throw new RangeError(`Cannot generate a site: pages must be an integer >= 1, got ${pages}`);
  }
  if (!(pageBytes > 0)) {
    throw new RangeError(`Cannot generate a site: pageBytes must be positive, got ${pageBytes}`);
  }
  if (!Number.isInteger(links) || links < 0) {
    throw new RangeError(`Cannot generate a site: links must be an integer >= 0, got ${links}`);
  }
  signal?.throwIfAborted();
  await Deno.mkdir(dir, { recursive: true });
  for (let s = 0; s < Math.min(SECTIONS, pages); s++) {
    await Deno.mkdir(`${dir}/s${s}`, { recursive: true });
  }
  await Deno.writeTextFile(`${dir}/robots.txt`, ROBOTS_TXT);
  const batch = 64;
  for (let start = 0; start < pages; start += batch) {
    signal?.throwIfAborted();
    const writes: Promise<void>[] = [];
    for (let i = start; i < Math.min(pages, start + batch); i++) {
      const html = renderPage(i, pages, { seed, pageBytes, links });
      writes.push(Deno.writeTextFile(dir + pagePath(i), html));
    }
    await Promise.all(writes);
  }
}

function parseArgs(args: string[]): { out: string } & GenerateSiteOptions {
  const opts: { out?: string } & Partial<GenerateSiteOptions> = {};
  for (let k = 0; k < args.length; k++) {
    const [flag, inline] = args[k].split("=", 2);
    const value = () => inline ?? args[++k];
    switch (flag) {
      case "--pages":
        opts.pages = Number(value());
        break;
      case "--out":
        opts.out = value();
        break;
      case "--seed":
        opts.seed = Number(value());
        break;
      case "--page-bytes":
        opts.pageBytes = Number(value());
        break;
      case "--links":
        opts.links = Number(value());
        break;
      case "-h":
      case "--help":
        console.log(
          "usage: deno run -A bench/gen_site.ts --out DIR [--pages 10000] [--seed 1] [--page-bytes 20000] [--links 50]",
        );
        Deno.exit(0);
        break;
      default:
        throw new TypeError(`Unknown argument: ${args[k]}`);
    }
  }
  if (!opts.out) throw new TypeError("Missing --out DIR");
  return { pages: 10000, ...opts } as { out: string } & GenerateSiteOptions;
}

if (import.meta.main) {
  const { out, ...options } = parseArgs(Deno.args);
  const t0 = performance.now();
  await generateSite(out, options);
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  console.error(`generated ${options.pages} pages into ${out} in ${secs} s`);
}
