import { Client } from "@opensearch-project/opensearch";
import { type ClientTransportLike, clientTransport, type SearchEngine } from "./backend.ts";

export interface OpenSearchConnection {
  url: string;
  username?: string;
  password?: string;
  /** Client-side request timeout, ms. Default 30,000. */
  requestTimeoutMs?: number;
}

/** An OpenSearch 2.x/3.x cluster through the official client (`@opensearch-project/opensearch`). */
export function openSearchEngine(c: OpenSearchConnection): SearchEngine {
  const client = new Client({
    node: c.url,
    ...(c.username !== undefined ? { auth: { username: c.username, password: c.password ?? "" } } : {}),
    requestTimeout: c.requestTimeoutMs ?? 30_000,
    // Bulk items are retried by the store itself, per item; the client retries only lost connections.
    maxRetries: 3,
  });
  return {
    flavor: "opensearch",
    transport: clientTransport(client.transport as unknown as ClientTransportLike, false),
    close: () => client.close(),
  };
}
