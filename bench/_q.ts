import { MainContent } from "../src/content/main_content.ts";
import { fixturePages, median, wordF1 } from "../tests/content/_f1.ts";
const f1s: number[] = [];
const only = Deno.args[0];
for (const p of fixturePages()) {
  const c = new MainContent("http://a.test/x");
  c.write(p.html);
  const t = c.finish("text");
  if (only === p.name) {
    console.log(t);
    const m = new MainContent("http://a.test/x");
    m.write(p.html);
    console.log("----\n" + m.finish("markdown"));
  }
  const s = wordF1(t, p.expected);
  f1s.push(s.f1);
  console.log(p.name.padEnd(20), s.precision.toFixed(2), s.recall.toFixed(2), s.f1.toFixed(3));
}
console.log("median", median(f1s).toFixed(3));
