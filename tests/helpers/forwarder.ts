/**
 * A TCP forwarder from a local port to a real engine, which a test can cut (every connection closed,
 * the port no longer listened on: new connections are refused, as by a stopped server) and heal (the
 * same port listened on again). Lets a test take a shared engine away from one client only.
 */
import { createServer, type Server, Socket } from "node:net";

export interface Forwarder {
  port: number;
  /** `host:port` of the forwarder, for URLs. */
  address: string;
  cut(): Promise<void>;
  heal(): Promise<void>;
  close(): Promise<void>;
}

/** Forward 127.0.0.1:`port` (0: any free one) to `target` ("host:port"). */
export async function forwarder(target: string, port = 0): Promise<Forwarder> {
  const [host, targetPort] = target.split(":") as [string, string];
  const open = new Set<Socket>();
  const track = (s: Socket) => {
    open.add(s);
    s.once("close", () => open.delete(s));
  };
  let server: Server | null = null;
  const listen = (p: number) =>
    new Promise<number>((ok, fail) => {
      const s = createServer((client) => {
        track(client);
        const upstream = new Socket();
        track(upstream);
        upstream.connect(Number(targetPort), host);
        client.pipe(upstream);
        upstream.pipe(client);
        const end = () => {
          client.destroy();
          upstream.destroy();
        };
        client.once("error", end);
        upstream.once("error", end);
        client.once("close", end);
        upstream.once("close", end);
      });
      s.once("error", fail);
      s.listen(p, "127.0.0.1", () => {
        server = s;
        const a = s.address();
        ok(typeof a === "object" && a ? a.port : 0);
      });
    });
  const bound = await listen(port);
  const stop = () =>
    new Promise<void>((ok) => {
      const s = server;
      server = null;
      for (const socket of open) socket.destroy();
      if (!s) return ok();
      s.close(() => ok());
    });
  return {
    port: bound,
    address: `127.0.0.1:${bound}`,
    cut: stop,
    async heal() {
      if (!server) await listen(bound);
    },
    close: stop,
  };
}
