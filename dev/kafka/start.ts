/** `bun run kafka:dev`: start the dev broker (or reuse the one this checkout started), wait until it answers. */
import { devBroker, startBroker } from "./broker.ts";

const b = devBroker();
try {
  const { reused, ms } = await startBroker(b);
  if (!reused) console.log(`kafka: started on ${b.bootstrap} in ${(ms / 1000).toFixed(1)} s`);
  console.log(`kafka: KAFKA_BROKERS=${b.bootstrap}  data ${b.dir}  log ${b.logFile}`);
  console.log("kafka: stop it with `bun run kafka:stop`");
  process.exit(0);
} catch (err) {
  console.error(`kafka: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
}
