import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

export interface InitialJs {
  /** The entry script and the chunks it imports statically: what every page loads first. */
  entryFiles: string[];
  entryGzip: number;
  /** The entry plus the overview page's chunks (the page after login), chart included. */
  firstPageFiles: string[];
  firstPageGzip: number;
}

const gz = (dist: string, f: string) => gzipSync(readFileSync(join(dist, f)), { level: 9 }).length;

/** Static imports of a built chunk (`import … from "./x.js"` and bare `import "./x.js"`). */
function staticImports(dist: string, file: string): string[] {
  const code = readFileSync(join(dist, file), "utf8");
  const dir = file.slice(0, file.lastIndexOf("/") + 1);
  const out: string[] = [];
  for (const m of code.matchAll(/(?:^|[;\n}])\s*import\s*(?:[^"'()]*?from\s*)?["'](\.\.?\/[^"']+)["']/g)) {
    out.push(new URL(m[1]!, `file:///${dir}`).pathname.slice(1));
  }
  return out;
}

function closure(dist: string, roots: string[]): string[] {
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length) {
    const f = stack.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    stack.push(...staticImports(dist, f));
  }
  return [...seen];
}

/** Sizes from a built web/dist: the entry named by index.html, and the first page after login. */
export function initialJs(dist: string): InitialJs {
  const html = readFileSync(join(dist, "index.html"), "utf8");
  const entry = /<script[^>]+src="\/([^"]+\.js)"/.exec(html)?.[1];
  if (!entry) throw new Error("index.html names no entry script");
  const entryFiles = closure(dist, [entry]);
  const assets = readdirSync(join(dist, "assets"));
  const overview = assets.filter((f) => /^(overview|time-chart)-.*\.js$/.test(f)).map((f) => `assets/${f}`);
  const firstPageFiles = closure(dist, [entry, ...overview]);
  const sum = (files: string[]) => files.reduce((s, f) => s + gz(dist, f), 0);
  return { entryFiles, entryGzip: sum(entryFiles), firstPageFiles, firstPageGzip: sum(firstPageFiles) };
}
