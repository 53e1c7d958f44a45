import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { requiredEngines } from "./engines.ts";

const REPO_ROOT = resolve(import.meta.dir, "../..");

/**
 * Where the LogHub samples are (https://github.com/logpai/loghub: `<System>/<System>_2k.log` and its
 * `_structured.csv`): `$LOGHUB_DIR`, absolute or relative to the repository root, by default
 * `../shared/data/loghub` beside the repository. A clone of the LogHub repository is such a directory.
 */
export const LOGHUB_DIR = resolve(REPO_ROOT, process.env.LOGHUB_DIR || "../shared/data/loghub");

/**
 * The LogHub directory, or null when it is absent (the suites reading it skip, with a message). When
 * LOGFLOW_REQUIRE_ENGINES names `loghub` (as `.ci/run` does), an absent directory throws instead, so CI
 * cannot go green by skipping the tests that replay real logs.
 */
export function loghubDir(): string | null {
  if (existsSync(join(LOGHUB_DIR, "Apache", "Apache_2k.log"))) return LOGHUB_DIR;
  if (requiredEngines().has("loghub")) {
    throw new Error(
      `LogHub is required (LOGFLOW_REQUIRE_ENGINES) but absent at ${LOGHUB_DIR}: ` +
        "git clone --depth 1 https://github.com/logpai/loghub there, or set LOGHUB_DIR",
    );
  }
  console.warn(`[skip] LogHub samples absent at ${LOGHUB_DIR} (set LOGHUB_DIR); LogHub tests skipped`);
  return null;
}
