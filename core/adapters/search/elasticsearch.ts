import { Client, type ClientOptions, HttpConnection } from "@elastic/elasticsearch";
import { type ClientTransportLike, clientTransport, type SearchEngine } from "./backend.ts";

export interface ElasticsearchConnection {
  url: string;
  /** An API key (the encoded form Kibana shows), preferred over username/password. */
  apiKey?: string;
  username?: string;
  password?: string;
  /** Client-side request timeout, ms. Default 30,000. */
  requestTimeoutMs?: number;
  /** Only for tests: the client's Connection class (e.g. @elastic/elasticsearch-mock's). */
  Connection?: ClientOptions["Connection"];
}

/**
 * An Elasticsearch 8/9 cluster through the official client. The client checks that it talks to
 * Elasticsearch (the `x-elastic-product` response header); anything else (an OpenSearch node, say) fails
 * every request with a ProductNotSupportedError, which start-up reports as a setting to fix (exit 78).
 *
 * The connection is the client's node:http one: its default, UndiciConnection, gets no response object
 * back from Bun's built-in `undici` module, so every request failed with a TypeError that passed for an
 * unreachable node, against Elasticsearch and anything else alike.
 */
export function elasticsearchEngine(c: ElasticsearchConnection): SearchEngine {
  const client = new Client({
    node: c.url,
    ...(c.apiKey
      ? { auth: { apiKey: c.apiKey } }
      : c.username !== undefined
        ? { auth: { username: c.username, password: c.password ?? "" } }
        : {}),
    requestTimeout: c.requestTimeoutMs ?? 30_000,
    maxRetries: 3,
    Connection: c.Connection ?? HttpConnection,
  });
  return {
    flavor: "elasticsearch",
    transport: clientTransport(client.transport as unknown as ClientTransportLike, true),
    close: () => client.close(),
  };
}
