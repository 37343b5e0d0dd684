/**
 * Byte bridges from a loopback TCP port inside the sandbox to a Unix socket LAP listens on
 * (bound into the sandbox at /run/lap). The sandbox has its own network namespace with only `lo`,
 * so these bridges are the only way out: the gateway (LAP) and the egress proxy.
 */
import net from "node:net";

export interface BridgeSpec {
  host: string;
  port: number;
  socketPath: string;
}

/** Parses `127.0.0.1:4000=/run/lap/lap.sock,127.0.0.1:3128=/run/lap/egress.sock`. */
export function parseBridges(value: string | undefined): BridgeSpec[] {
  if (!value) return [];
  return value
    .split(",")
    .filter(Boolean)
    .map((item) => {
      const m = /^([\d.]+):(\d+)=(.+)$/.exec(item.trim());
      if (!m) throw new Error(`bad bridge ${item}: expected host:port=/path/to.sock`);
      return { host: m[1]!, port: Number(m[2]), socketPath: m[3]! };
    });
}

export function startBridge(spec: BridgeSpec): Promise<net.Server> {
  const server = net.createServer((client) => {
    const upstream = net.connect(spec.socketPath);
    client.pipe(upstream);
    upstream.pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close);
    upstream.on("error", close);
    client.on("close", close);
    upstream.on("close", close);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(spec.port, spec.host, () => resolve(server));
  });
}
