/**
 * `bun run build`: the dashboard into web/dist, which `bun run dev`, `bun run api` and the Worker's
 * static assets serve. For now the dashboard is one static page (the SolidJS app replaces it).
 */
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { resolve } from "node:path";

const root = import.meta.dir;
const dist = resolve(root, "dist");
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
copyFileSync(resolve(root, "index.html"), resolve(dist, "index.html"));
console.log(`built ${dist}`);
