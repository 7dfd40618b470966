import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { generateSite, pagePath, renderPage } from "../../bench/gen_site.ts";

function hrefs(html: string): string[] {
  return [...html.matchAll(/<a [^>]*href="([^"]*)"/g)].map((m) => m[1]);
}

Deno.test("renderPage() is deterministic and about pageBytes with about links links", () => {
  const a = renderPage(7, 10000);
  assertEquals(a, renderPage(7, 10000));
  assert(a !== renderPage(7, 10000, { seed: 2 }));
  assert(a.length > 18000 && a.length < 22000, `size ${a.length}`);
  const links = hrefs(a);
  assert(links.length >= 45 && links.length <= 55, `links ${links.length}`);
  assert(links.some((h) => h.startsWith("http://offsite.invalid/")));
  assert(links.some((h) => h.startsWith("/")));
  assert(links.some((h) => !h.startsWith("/") && !h.startsWith("http")));
  assert(new Set(links).size < links.length, "expected duplicates within a page");
});

Deno.test("generateSite() makes every page reachable from /index.html in a few hops", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const n = 3000;
    await generateSite(dir, { pages: n });
    const base = "http://127.0.0.1:1";
    const depth = new Map<string, number>([["/index.html", 0]]);
    let frontier = ["/index.html"];
    while (frontier.length > 0) {
      const next: string[] = [];
      for (const path of frontier) {
        const html = await Deno.readTextFile(dir + path);
        for (const h of hrefs(html)) {
          const u = new URL(h, base + path);
          if (u.origin !== base) continue;
          const p = u.pathname === "/" ? "/index.html" : u.pathname;
          if (!depth.has(p)) {
            depth.set(p, depth.get(path)! + 1);
            next.push(p);
          }
        }
      }
      frontier = next;
    }
    assertEquals(depth.size, n);
    for (let i = 0; i < n; i++) assert(depth.has(pagePath(i)), pagePath(i));
    assert(Math.max(...depth.values()) <= 6, `max depth ${Math.max(...depth.values())}`);
    assertEquals(await Deno.readTextFile(`${dir}/robots.txt`), "User-agent: *\nAllow: /\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
