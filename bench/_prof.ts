import { renderPage } from "./gen_site.ts";
import { MainContent } from "../src/content/main_content.ts";
const pages = Array.from({ length: 300 }, (_, i) => renderPage(i, 5000));
const t = performance.now();
for (let r = 0; r < 10; r++) {
  for (const p of pages) {
    const c = new MainContent("http://a.test/", "markdown");
    for (let i = 0; i < p.length; i += 16384) c.write(p.slice(i, i + 16384));
    c.finish();
  }
}
console.log(((performance.now() - t) / 3000).toFixed(3), "ms/page");
