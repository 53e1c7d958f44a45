/** `bun run opensearch:dev`: start the dev OpenSearch node (or reuse the one this checkout started), wait until it answers. */
import { runStartCommand } from "../ownership.ts";
import { devNode, startNode } from "./node.ts";

const node = devNode();
await runStartCommand("opensearch", async () => {
  const { reused, ms } = await startNode(node);
  return [
    reused
      ? `reusing the node this checkout started on ${node.url}`
      : `started on ${node.url} in ${(ms / 1000).toFixed(1)} s`,
    `OPENSEARCH_URL=${node.url}  data ${node.dir}  log ${node.logFile}`,
    "stop it with `bun run opensearch:stop`",
  ];
});
