import { describe, expect, test } from "bun:test";
import { ConfigError, loadConfig } from "../core/config.ts";
import { integrationTimeouts } from "./helpers/timeouts.ts";

integrationTimeouts();

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

describe("configuration", () => {
  test("nothing set means the embedded default", () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(8000);
    expect(c.LOGFLOW_DATA_DIR).toBe(".data");
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.ADMIN_USERNAME).toBe("admin");
  });

  test("a bad value names the variable", () => {
    expect(problems({ PORT: "eighty" })[0]).toStartWith("PORT:");
    expect(problems({ DATABASE_URL: "mysql://x" })[0]).toStartWith("DATABASE_URL:");
    expect(problems({ SECRET_KEY: "short" })[0]).toStartWith("SECRET_KEY:");
  });

  test("production refuses the default admin password and a missing SECRET_KEY", () => {
    const p = problems({ ENVIRONMENT: "production" });
    expect(p.some((m) => m.startsWith("SECRET_KEY:"))).toBe(true);
    expect(p.some((m) => m.startsWith("ADMIN_PASSWORD:"))).toBe(true);
    expect(
      problems({ ENVIRONMENT: "production", SECRET_KEY: "s".repeat(32), ADMIN_PASSWORD: "admin123" }),
    ).toHaveLength(1);
    expect(
      problems({ ENVIRONMENT: "production", SECRET_KEY: "s".repeat(32), ADMIN_PASSWORD: "a-real-one" }),
    ).toEqual([]);
  });

  test("two log stores at once are refused, naming the variable", () => {
    const p = problems({ ELASTICSEARCH_URL: "http://es:9200", OPENSEARCH_URL: "http://os:9200" });
    expect(p[0]).toStartWith("OPENSEARCH_URL:");
  });

  test("engine settings are validated: a topic with a space, an index prefix in capitals", () => {
    expect(problems({ KAFKA_TOPIC: "my logs" })[0]).toStartWith("KAFKA_TOPIC:");
    expect(problems({ SEARCH_INDEX_PREFIX: "Logs" })[0]).toStartWith("SEARCH_INDEX_PREFIX:");
    expect(loadConfig({ KAFKA_BROKERS: "a:9092, b:9092" }).KAFKA_BROKERS).toEqual(["a:9092", "b:9092"]);
  });

  test("empty strings count as unset", () => {
    expect(loadConfig({ DATABASE_URL: "" }).DATABASE_URL).toBeUndefined();
  });
});

describe("edge runtimes", () => {
  test("production on a runtime that never creates the admin does not demand ADMIN_PASSWORD", () => {
    expect(() =>
      loadConfig({ ENVIRONMENT: "production", SECRET_KEY: "s".repeat(32) }, { createsAdmin: false }),
    ).not.toThrow();
  });
});
