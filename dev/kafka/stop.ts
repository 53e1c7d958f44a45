/** `bun run kafka:stop`: stop the dev broker that `bun run kafka:dev` started (a clean shutdown). */
import { devBroker, stopBroker } from "./broker.ts";

const b = devBroker();
console.log((await stopBroker(b)) ? `kafka: stopped (data kept in ${b.dir})` : "kafka: not running");
