import { createServer } from "node:net";

/**
 * A port nothing listens on right now, chosen by the kernel. Random fixed ports collide with other
 * listeners and with outgoing connections' ephemeral ports (32768-60999 on Linux).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
