/** `bun run opensearch:dev`: start the dev OpenSearch node (or reuse the one this checkout started), wait until it answers. */
import { devNode, startNode } from "./node.ts";

const node = devNode();
try {
  const { reused, ms } = await startNode(node);
  console.log(
    reused
      ? `opensearch: reusing the node this checkout started on ${node.url}`
      : `opensearch: started on ${node.url} in ${(ms / 1000).toFixed(1)} s`,
  );
  console.log(`opensearch: OPENSEARCH_URL=${node.url}  data ${node.dir}  log ${node.logFile}`);
  console.log("opensearch: stop it with `bun run opensearch:stop`");
  process.exit(0);
} catch (err) {
  console.error(`opensearch: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
}
