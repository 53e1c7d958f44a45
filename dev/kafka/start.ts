/** `bun run kafka:dev`: start the dev broker (or reuse the one this checkout started), wait until it answers. */
import { runStartCommand } from "../ownership.ts";
import { devBroker, startBroker } from "./broker.ts";

const b = devBroker();
await runStartCommand("kafka", async () => {
  const { reused, ms } = await startBroker(b);
  return [
    ...(reused ? [] : [`started on ${b.bootstrap} in ${(ms / 1000).toFixed(1)} s`]),
    `KAFKA_BROKERS=${b.bootstrap}  data ${b.dir}  log ${b.logFile}`,
    "stop it with `bun run kafka:stop`",
  ];
});
