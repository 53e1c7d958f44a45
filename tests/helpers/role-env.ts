/**
 * The environment for a LogFlow role's process (`bun workers/bun/<role>.ts`) in a test: a clean base
 * (a test environment, quiet logs, loopback) with nothing taken from the test's own environment but
 * PATH and HOME, so that no engine or setting is used unless the test gives it.
 */
export function roleEnv(env: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    ENVIRONMENT: "test",
    LOG_LEVEL: "warn",
    HOST: "127.0.0.1",
    ...env,
  };
}
