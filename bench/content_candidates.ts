/**
 * Compares main-content extraction candidates on the fixture pages of
 * `fixtures/content/pages/`: word-level F1 against the expected text, and
 * time per page. Run: `deno run -A bench/content_candidates.ts [rounds]`.
 *
 * - skein: `src/html/main_content.ts`, the streaming pass the crawl uses;
 * - readability+linkedom: Mozilla Readability over a linkedom DOM, its
 *   article turned to text block by block (Defuddle over linkedom was also
 *   tried: F1 median 0.960, min 0.773, 179 ms a page, and dropped);
 * - naive: the whole body's text (scripts and styles removed), the baseline;
 * - markdown: the Readability result through node-html-markdown or Turndown
 *   (F1 on the Markdown's words with link targets removed).
 *
 * @module
 */
import { Readability } from "@mozilla/readability";
import { parseHTML as linkedomParse } from "linkedom";
import { NodeHtmlMarkdown } from "node-html-markdown";
import TurndownService from "turndown";
import { MainContent } from "../src/html/main_content.ts";
import { fixturePages, median, wordF1 } from "../tests/content/_f1.ts";

const rounds = Number(Deno.args[0] ?? 20);
const pages = fixturePages();
const URL_ = "http://a.test/page";
const nhm = new NodeHtmlMarkdown();
const td = new TurndownService({ headingStyle: "atx", codeBlockStyle: "fenced" });
const stripLinks = (md: string) => md.replace(/\]\([^)]*\)/g, "]");

// deno-lint-ignore no-explicit-any
type Node = any;
const parseHTML = linkedomParse as unknown as (html: string) => { document: Node };

/** Text of a DOM subtree, block elements on their own lines. */
function blockText(root: Node): string {
  const out: string[] = [];
  let line = "";
  const flush = () => {
    const t = line.replace(/\s+/g, " ").trim();
    if (t !== "") out.push(t);
    line = "";
  };
  const walk = (node: Node) => {
    for (let n = node.firstChild; n; n = n.nextSibling) {
      if (n.nodeType === 3) line += n.data;
      else if (n.nodeType === 1 && !/^(?:SCRIPT|STYLE|TEMPLATE)$/.test(n.tagName)) {
        const block =
          /^(?:P|DIV|H[1-6]|LI|UL|OL|PRE|BLOCKQUOTE|TR|TABLE|SECTION|ARTICLE|MAIN|HEADER|FOOTER|BR)$/
            .test(n.tagName);
        if (block) flush();
        walk(n);
        if (block) flush();
        else line += " ";
      }
    }
  };
  walk(root);
  flush();
  return out.join("\n\n");
}

function readability(html: string): string {
  const { document } = parseHTML(html);
  return new Readability(document).parse()?.content ?? "";
}

function skein(html: string, format: "text" | "markdown"): string {
  const c = new MainContent(URL_, format);
  c.write(html);
  return c.finish();
}

const candidates: Record<string, (html: string) => string> = {
  "skein main_content text": (html) => skein(html, "text"),
  "skein main_content markdown": (html) => stripLinks(skein(html, "markdown")),
  "readability+linkedom text": (html) =>
    blockText(parseHTML(`<html><body>${readability(html)}</body></html>`).document.body),
  "readability+linkedom markdown (node-html-markdown)": (html) =>
    stripLinks(nhm.translate(readability(html))),
  "readability+linkedom markdown (turndown)": (html) => stripLinks(td.turndown(readability(html))),
  "naive whole-body text": (html) => {
    const { document } = parseHTML(html);
    for (const el of [...document.querySelectorAll("script,style")]) el.remove();
    return blockText(document.body);
  },
};

const bytes = pages.reduce((n, p) => n + p.html.length, 0);
console.log(
  `${pages.length} pages, ${
    (bytes / pages.length / 1024).toFixed(1)
  } KiB average, ${rounds} rounds`,
);
for (const [name, f] of Object.entries(candidates)) {
  const f1s = pages.map((p) => wordF1(f(p.html), p.expected).f1);
  for (let r = 0; r < 3; r++) for (const p of pages) f(p.html); // warm-up
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) for (const p of pages) f(p.html);
  const ms = (performance.now() - t0) / (rounds * pages.length);
  console.log(
    `${name.padEnd(58)} F1 median ${median(f1s).toFixed(3)} min ${Math.min(...f1s).toFixed(3)}  ${
      ms.toFixed(2)
    } ms/page`,
  );
}
