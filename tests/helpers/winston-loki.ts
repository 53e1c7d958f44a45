import winston from "winston";
import LokiTransport from "winston-loki";

/**
 * Ships 1,000 lines `invoice <i>` through a real winston logger with the winston-loki transport (each
 * with its own timestamp, `base + i`), then flushes and closes the transport. Returns `base`.
 */
export async function shipInvoices(opts: {
  /** The Loki base URL (the transport appends /loki/api/v1/push). */
  host: string;
  basicAuth?: string;
  /** JSON bodies instead of protobuf + snappy. */
  json?: boolean;
  labels: Record<string, string>;
  level: (i: number) => string;
}): Promise<number> {
  const transport = new LokiTransport({
    host: opts.host,
    ...(opts.basicAuth === undefined ? {} : { basicAuth: opts.basicAuth }),
    ...(opts.json === undefined ? {} : { json: opts.json }),
    labels: opts.labels,
    interval: 0.05,
    replaceTimestamp: false,
    gracefulShutdown: false,
    onConnectionError: (err: unknown) => console.error(err),
  });
  const logger = winston.createLogger({
    level: "silly",
    format: winston.format.timestamp(),
    transports: [transport],
  });
  const base = Date.now() - 10_000;
  for (let i = 0; i < 1_000; i++) {
    logger.log({
      level: opts.level(i),
      message: `invoice ${i}`,
      timestamp: new Date(base + i).toISOString(),
    });
  }
  await transport.flush();
  await transport.close();
  return base;
}
