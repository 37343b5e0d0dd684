/**
 * LAP's side of a sandbox's way out: servers on Unix sockets in the sandbox's run directory.
 * `lap.sock` pipes bytes to LAP's own HTTP listener (the gateway, and nothing else the sandbox
 * could not reach with its session key anyway); `egress.sock` is the egress proxy for this sandbox.
 */
import { rmSync } from "node:fs";
import net from "node:net";

export interface Upstream {
  host: string;
  port: number;
}

export function listenUnix(server: net.Server, path: string): Promise<net.Server> {
  rmSync(path, { force: true });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => resolve(server));
  });
}

export function listenLoopback(server: net.Server): Promise<{ server: net.Server; port: number }> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as net.AddressInfo).port }));
  });
}

/** A byte pipe to LAP's HTTP port: the sandbox reaches the gateway as if it were local. */
export function lapForwarder(upstream: () => Upstream): net.Server {
  return net.createServer((client) => {
    const { host, port } = upstream();
    const up = net.connect(port, host);
    client.pipe(up);
    up.pipe(client);
    const close = () => {
      client.destroy();
      up.destroy();
    };
    client.on("error", close);
    up.on("error", close);
    client.on("close", close);
    up.on("close", close);
  });
}

export const closeServer = (server: net.Server) => new Promise<void>((resolve) => server.close(() => resolve()));
