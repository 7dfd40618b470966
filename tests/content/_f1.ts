/** Word-level scoring of extracted text against the expected main text. */

/** Lower-cased words (letters and digits, any script) of a text. */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Word-level F1 of `got` against `expected`, over word multisets (bag of words). */
export function wordF1(
  got: string,
  expected: string,
): { precision: number; recall: number; f1: number } {
  const want = new Map<string, number>();
  for (const w of words(expected)) want.set(w, (want.get(w) ?? 0) + 1);
  const g = words(got);
  let overlap = 0;
  for (const w of g) {
    const n = want.get(w) ?? 0;
    if (n > 0) {
      overlap++;
      want.set(w, n - 1);
    }
  }
  const e = words(expected).length;
  const precision = g.length === 0 ? 0 : overlap / g.length;
  const recall = e === 0 ? 0 : overlap / e;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1 };
}

/** The median of some numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The fixture pages: name, HTML and expected main text. */
export function fixturePages(): { name: string; html: string; expected: string }[] {
  const dir = new URL("../../fixtures/content/pages/", import.meta.url);
  const out = [];
  for (const e of Deno.readDirSync(dir)) {
    if (!e.name.endsWith(".html")) continue;
    const name = e.name.slice(0, -5);
    out.push({
      name,
      html: Deno.readTextFileSync(new URL(e.name, dir)),
      expected: Deno.readTextFileSync(new URL(`${name}.expected.txt`, dir)),
    });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** The whole body's text, scripts and styles left out: the naive baseline. */
export function blockTextNaive(html: string): string {
  return html
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, " ")
    .replace(/<head\b[\s\S]*?<\/head\s*>/i, " ")
    .replace(/<[^>]*>/g, " ")
    .replace(/&[a-z]+;|&#\d+;/gi, " ");
}
