/**
 * `bun run dev:deno [deno flags…]`: the API on Deno (workers/deno/main.ts), with the Deno executable run
 * directly rather than through the `deno` npm package's node launcher, so that SIGTERM or SIGINT sent
 * to this process stops Deno (see child.ts for why the launcher did not). Without SECRET_KEY (outside
 * production) it signs with the key `bun run dev` keeps in LOGFLOW_DATA_DIR, as `bun run dev:edge` does.
 */
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { localSecretKey } from "../core/adapters/local/secret-key.ts";
import { runInPlace } from "./child.ts";

const ROOT = resolve(import.meta.dir, "..");

/**
 * The Deno executable the `deno` npm package installed, found by the package's own lookup (it also
 * links the platform package's binary into place on first use); `deno` on PATH without the package.
 */
function denoExecutable(): string {
  try {
    const install = createRequire(resolve(ROOT, "package.json"))("deno/install_api.cjs") as {
      runInstall(): string;
    };
    return install.runInstall();
  } catch (err) {
    const onPath = Bun.which("deno");
    if (onPath) return onPath;
    console.error(
      `Deno not found: run \`bun install\` (the \`deno\` package is a devDependency) or install Deno. (${err instanceof Error ? err.message : err})`,
    );
    process.exit(69); // EX_UNAVAILABLE
  }
}

const env: Record<string, string | undefined> = { DENO_NO_UPDATE_CHECK: "1", ...process.env };
if (!env.SECRET_KEY && env.ENVIRONMENT !== "production") {
  env.SECRET_KEY = localSecretKey(resolve(ROOT, env.LOGFLOW_DATA_DIR || ".data"));
}
await runInPlace([denoExecutable(), "run", "-A", ...process.argv.slice(2), "workers/deno/main.ts"], {
  cwd: ROOT,
  env,
});
