/**
 * TLS termination for one sandbox's tunnels to hosts its vault secrets are bound to: a Bun TLS
 * server per host on a Unix socket; the proxy pipes the CONNECT tunnel into it. Requests are
 * re-sent upstream over real TLS by fetch, with stubs swapped by `handle`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EgressCa } from "./ca";

export class MitmServers {
  private dir = mkdtempSync(join(tmpdir(), "lap-mitm-"));
  private servers = new Map<string, Promise<{ socket: string; server: ReturnType<typeof Bun.serve> }>>();

  constructor(private ca: EgressCa) {}

  socketFor(host: string, port: number, handle: (req: Request, origin: string) => Promise<Response>): Promise<string> {
    const key = `${host}:${port}`;
    let s = this.servers.get(key);
    if (!s) {
      s = (async () => {
        const tls = await this.ca.leaf(host);
        const socket = join(this.dir, `${Bun.hash(key).toString(16)}.sock`);
        const origin = `https://${host}${port === 443 ? "" : `:${port}`}`;
        const server = Bun.serve({ unix: socket, tls, fetch: (req: Request) => handle(req, origin) } as unknown as Parameters<
          typeof Bun.serve
        >[0]);
        return { socket, server };
      })();
      s.catch(() => this.servers.delete(key));
      this.servers.set(key, s);
    }
    return s.then((x) => x.socket);
  }

  async close() {
    for (const s of this.servers.values()) await s.then((x) => x.server.stop(true)).catch(() => {});
    this.servers.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
