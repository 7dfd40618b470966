/**
 * Fails when the project's own modules import each other in a cycle, at the
 * level of files or of `src/` folders (a lower layer importing an upper one
 * shows up as a folder cycle). Run by `deno task check`.
 *
 * ```sh
 * deno run --allow-read scripts/check_imports.ts            # the whole project
 * deno run --allow-read scripts/check_imports.ts src main.ts
 * ```
 *
 * Imports are read as text: static `import`/`export ... from` and
 * `import("./x.ts")` with a literal relative specifier. Type-only imports
 * count too: a cycle of types is still two modules that need each other.
 * @module
 */
import { dirname, join, normalize, relative, resolve } from "node:path";

/** A cycle found by {@linkcode findCycles}: the nodes in import order. */
export type Cycle = string[];

const IMPORT_RE =
  /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*["']([^"']+)["']|(?:^|[\s;])import\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/gm;

/** The relative specifiers a module's source imports, in order. */
export function importSpecifiers(source: string): string[] {
  const out: string[] = [];
  const text = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  for (const m of text.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec.startsWith("./") || spec.startsWith("../")) out.push(spec);
  }
  return out;
}

/**
 * The strongly connected components of more than one node (or a node that
 * imports itself), by Tarjan's algorithm; each is returned as one cycle
 * through its nodes, sorted for stable output.
 *
 * @example
 * ```ts
 * import { findCycles } from "./check_imports.ts";
 * const g = new Map([["a", ["b"]], ["b", ["a"]], ["c", ["a"]]]);
 * findCycles(g); // [["a", "b"]]
 * ```
 */
export function findCycles(graph: Map<string, string[]>): Cycle[] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: Cycle[] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) visit(v);
  return out.sort((a, b) => a[0].localeCompare(b[0]));
}

async function* tsFiles(path: string): AsyncGenerator<string> {
  const info = await Deno.stat(path);
  if (info.isFile) {
    if (path.endsWith(".ts")) yield path;
    return;
  }
  for await (const e of Deno.readDir(path)) {
    if (e.name === "node_modules" || e.name.startsWith(".")) continue;
    yield* tsFiles(join(path, e.name));
  }
}

/** The folder a file counts under: `src/<folder>` for sources, else the file itself. */
function folderOf(file: string): string {
  const parts = file.split("/");
  return parts[0] === "src" && parts.length > 2 ? `src/${parts[1]}` : file;
}

async function main(roots: string[]): Promise<number> {
  const root = Deno.cwd();
  const files = new Map<string, string[]>();
  for (const r of roots) {
    for await (const f of tsFiles(r)) {
      const rel = relative(root, resolve(f));
      const deps = importSpecifiers(await Deno.readTextFile(f))
        .map((s) => normalize(join(dirname(rel), s)));
      files.set(rel, deps);
    }
  }
  const folders = new Map<string, string[]>();
  for (const [f, deps] of files) {
    const from = folderOf(f);
    const set = new Set(folders.get(from) ?? []);
    for (const d of deps) if (folderOf(d) !== from) set.add(folderOf(d));
    folders.set(from, [...set]);
  }
  const fileCycles = findCycles(files);
  const folderCycles = findCycles(folders);
  for (const c of fileCycles) console.error(`import cycle (files): ${c.join(" <-> ")}`);
  for (const c of folderCycles) console.error(`import cycle (folders): ${c.join(" <-> ")}`);
  if (fileCycles.length + folderCycles.length > 0) return 1;
  console.error(`imports: no cycles in ${files.size} modules`);
  return 0;
}

if (import.meta.main) {
  const args = Deno.args.length > 0 ? Deno.args : ["src", "main.ts", "cli.ts"];
  const existing: string[] = [];
  for (const a of args) {
    try {
      await Deno.stat(a);
      existing.push(a);
    } catch {
      // optional roots (mod.ts, worker.ts) may not exist
    }
  }
  Deno.exit(await main(existing));
}
