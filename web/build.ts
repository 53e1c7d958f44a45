/**
 * `bun run build`: the SolidJS dashboard into web/dist (Vite, web/vite.config.ts), which `bun run dev`,
 * `bun run api` and the Worker's static assets serve. Prints the gzip size of the JavaScript the first
 * page loads (budget: 60 KB, checked by tests/web/budget.test.ts).
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { build } from "vite";
import { precompress } from "./precompress.ts";
import { initialJs } from "./size.ts";

const root = import.meta.dir;
// Always the production build: `bun test` sets NODE_ENV=test, under which Vite and Solid's plugin build
// Solid's development runtime, which the tests would measure and `bun run dev` would then serve.
process.env.NODE_ENV = "production";
await build({ configFile: resolve(root, "vite.config.ts"), logLevel: process.env.CI ? "warn" : "info" });
const packed = precompress(resolve(root, "dist"));
// Workers compress by themselves: the copies stay out of the uploaded static assets.
writeFileSync(resolve(root, "dist", ".assetsignore"), "*.br\n*.gz\n");
console.log(
  `precompressed ${packed.files} files: ${(packed.raw / 1024).toFixed(1)} KB → brotli ${(packed.br / 1024).toFixed(1)} KB, gzip ${(packed.gz / 1024).toFixed(1)} KB`,
);
const size = initialJs(resolve(root, "dist"));
console.log(
  `built ${resolve(root, "dist")}: entry ${(size.entryGzip / 1024).toFixed(1)} KB gzip ` +
    `(${size.entryFiles.length} files), first page with its chart ${(size.firstPageGzip / 1024).toFixed(1)} KB gzip`,
);
