/**
 * LAP's side of a sandbox's way out: servers on Unix sockets in the sandbox's run directory.
 * `lap.sock` is the LAP bridge (lap-bridge.ts: the model routes and /mcp, nothing else);
 * `egress.sock` is the egress proxy for this sandbox.
 */
import { rmSync } from "node:fs";
import type net from "node:net";

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

export const closeServer = (server: net.Server) => new Promise<void>((resolve) => server.close(() => resolve()));
