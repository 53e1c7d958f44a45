/** `bun run opensearch:stop`: stop the dev OpenSearch node started by `bun run opensearch:dev`. */
import { devNode, stopNode } from "./node.ts";

const node = devNode();
console.log(
  (await stopNode(node)) ? "opensearch: stopped" : "opensearch: no node started by opensearch:dev is running",
);
