/**
 * LAP's import graph, read from the source: every relative import of every TypeScript file under the
 * given folders, type-only ones included (`import type`, `export type … from`, `import("…")` in a type),
 * since a circle of types is still a circle (docs/development.md "Layers"). Test files are left out:
 * they may wire anything. Bun's transpiler finds the imports (not a regular expression over comments and
 * strings); it drops type-only imports, so their `type` keyword is taken off first.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

/** One import: `from` imports `to`, both relative to the repository root with `/` separators. */
export interface Edge {
  from: string;
  to: string;
}

const transpilers = { ts: new Bun.Transpiler({ loader: "ts" }), tsx: new Bun.Transpiler({ loader: "tsx" }) };
const isTest = (file: string) => /\.(test|spec)\.tsx?$/.test(file);

/** The source with type-only imports and exports turned into plain ones, so the scanner keeps them. */
export function untyped(source: string): string {
  return source
    .replace(/^#!.*/, "")
    .replace(/\b(import|export)\s+type(?=\s*[{*]|\s+[\w$]+\s+from\b)/g, "$1")
    .replace(/([{,]\s*)type\s+(?=[\w$]+\s*(?:[,}]|as\b))/g, "$1");
}

/** The specifiers one file imports, type-only ones included. */
export function specifiersOf(source: string, tsx = false): string[] {
  const code = untyped(source);
  const found = new Set(transpilers[tsx ? "tsx" : "ts"].scanImports(code).map((i) => i.path));
  // `import("./x").T` in a type position is dropped by the scanner like any type.
  for (const m of code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) found.add(m[1]!);
  return [...found];
}

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "dist" || entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts") && !isTest(entry.name)) yield path;
  }
}

const posix = (path: string) => path.split(sep).join("/");

/** The edges between files of the repository at `root`, from the files under `folders`. */
export function importGraph(at: string, folders: string[]): Edge[] {
  const root = resolve(at);
  const edges: Edge[] = [];
  for (const folder of folders.filter((f) => existsSync(join(root, f)))) {
    for (const file of sourceFiles(join(root, folder))) {
      const from = posix(relative(root, file));
      for (const spec of specifiersOf(readFileSync(file, "utf8"), file.endsWith(".tsx"))) {
        if (!spec.startsWith(".")) continue;
        let target: string;
        try {
          target = Bun.resolveSync(spec, dirname(file));
        } catch {
          throw new Error(`${from}: cannot resolve ${spec}`);
        }
        edges.push({ from, to: posix(relative(root, target)) });
      }
    }
  }
  return edges;
}

/** Every import circle: each group of files that reach one another through imports, sorted. */
export function circles(edges: Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let counter = 0;
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1 || next.get(v)?.includes(v)) found.push(group.sort());
  };
  for (const v of next.keys()) if (!index.has(v)) visit(v);
  return found;
}
