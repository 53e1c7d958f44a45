import { defineConfig } from "vite";
import solid from "vite-plugin-solid";

/** Where `bun run dev:web` forwards API calls: a running `bun run dev` by default. */
const api = process.env.LOGFLOW_API_URL ?? "http://localhost:8000";

export default defineConfig({
  root: import.meta.dirname,
  plugins: [solid()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // One file per lazily loaded page; the entry holds the shell only (budget: tests/web/budget.test.ts).
    assetsInlineLimit: 0,
  },
  server: {
    port: Number(process.env.WEB_PORT ?? 5173),
    proxy: Object.fromEntries(
      ["/api", "/health", "/metrics", "/openapi.json", "/docs"].map((p) => [
        p,
        { target: api, changeOrigin: true },
      ]),
    ),
  },
});
