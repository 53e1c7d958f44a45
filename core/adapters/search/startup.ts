import { EX_CONFIG, EX_UNAVAILABLE, oneLine, StartupError, type Verdict } from "../../startup.ts";
import { type EngineFlavor, isSearchEngineOutage, SearchEngineError } from "./backend.ts";

const NAME: Record<EngineFlavor, string> = { elasticsearch: "Elasticsearch", opensearch: "OpenSearch" };
const VARIABLE: Record<EngineFlavor, string> = {
  elasticsearch: "ELASTICSEARCH_URL",
  opensearch: "OPENSEARCH_URL",
};
const CREDENTIALS: Record<EngineFlavor, string> = {
  elasticsearch: "ELASTICSEARCH_API_KEY (or ELASTICSEARCH_USERNAME and ELASTICSEARCH_PASSWORD)",
  opensearch: "OPENSEARCH_USERNAME and OPENSEARCH_PASSWORD",
};

/** A URL as messages may show it: scheme, host and port (never credentials written into it). */
function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(unparsable URL)";
  }
}

/**
 * What a failed start-up request to the search engine means: unreachable, overloaded or 5xx is waited
 * for; refused credentials, a server that is not the engine named, or any other refusal is a setting.
 */
export function searchStartupVerdict(flavor: EngineFlavor, url: string, err: unknown): Verdict {
  const variable = VARIABLE[flavor];
  const config = (line: string): Verdict => ({
    retry: false,
    error: new StartupError(EX_CONFIG, `${variable}: ${line}`),
  });
  if (err instanceof SearchEngineError && err.type === "product_not_supported")
    return config(
      `${origin(url)} is not ${NAME[flavor]} (${oneLine(err)}); check the URL${flavor === "elasticsearch" ? " (an OpenSearch node is set with OPENSEARCH_URL)" : ""}`,
    );
  if (isSearchEngineOutage(err)) return { retry: true, reason: oneLine(err) };
  if (err instanceof SearchEngineError && (err.status === 401 || err.status === 403))
    return {
      retry: false,
      error: new StartupError(
        EX_CONFIG,
        `${variable}: ${NAME[flavor]} at ${origin(url)} refused the credentials (${err.status}); check ${CREDENTIALS[flavor]}`,
      ),
    };
  return config(`${NAME[flavor]} at ${origin(url)} refused the log index template: ${oneLine(err)}`);
}

/** The line a process that could not reach the search engine ends with. */
export function searchUnavailable(
  flavor: EngineFlavor,
  url: string,
  reason: string,
  waited: number,
): StartupError {
  return new StartupError(
    EX_UNAVAILABLE,
    `${VARIABLE[flavor]}: ${NAME[flavor]} did not answer at ${origin(url)} within ${waited} s (${reason}); check that it is running and the URL's scheme, host and port (STARTUP_WAIT_SECONDS sets the wait)`,
  );
}
