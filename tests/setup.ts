import { setDefaultTimeout } from "bun:test";

// Integration suites start engines and real processes: 30 s per test and hook unless a test says
// otherwise. (bunfig.toml's [test] timeout is not applied by Bun 1.4.5; this preload is.)
setDefaultTimeout(30_000);
