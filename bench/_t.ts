import { renderPage } from "./gen_site.ts";
import { MainContent } from "../src/content/main_content.ts";
import { extractPage } from "../src/html/extract_page.ts";
import { Parser } from "htmlparser2";
const pages = Array.from({ length: 200 }, (_, i) => renderPage(i, 5000));
async function* one(s: string) {
  yield s;
}
const res: Record<string, number[]> = {};
const time = async (name: string, f: (p: string) => unknown) => {
  const t = performance.now();
  for (const p of pages) await f(p);
  (res[name] ??= []).push((performance.now() - t) / pages.length);
};
for (let r = 0; r < 12; r++) {
  await time("extractPage", (p) => extractPage(one(p), "http://a.test/p/1.html"));
  await time("parser", (p) => {
    const x = new Parser({ onopentag() {}, ontext() {}, onclosetag() {} }, {
      decodeEntities: true,
    });
    x.write(p);
    x.end();
  });
  await time("md", (p) => {
    const c = new MainContent("http://a.test/", "markdown");
    c.write(p);
    c.finish();
  });
  await time("text", (p) => {
    const c = new MainContent("http://a.test/", "text");
    c.write(p);
    c.finish();
  });
}
for (const [k, v] of Object.entries(res)) {
  console.log(k.padEnd(12), "min", Math.min(...v).toFixed(3), "ms/page");
}
