import { resolve } from "node:path";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `bun db/cli.ts …args` (what `bun run db:…` runs), with no terminal: confirmations need --yes. */
export async function dbCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  const proc = Bun.spawn(["bun", "db/cli.ts", ...args], {
    cwd: resolve(import.meta.dir, "../.."),
    env: { ...process.env, ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}
