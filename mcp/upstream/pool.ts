import type { DestinationGuard } from "../../server/net/destinations";
import type { StdioLauncher } from "./launcher";
import { UpstreamConnection, type UpstreamSpec } from "./connection";

/**
 * Upstream connections by pool key (server, plus user when credentials are per user). A connection
 * whose server settings changed is replaced; `invalidate` closes every connection of a server.
 */
export class UpstreamPool {
  private readonly connections = new Map<string, UpstreamConnection>();
  private readonly lastUsed = new WeakMap<UpstreamConnection, number>();
  private readonly now: () => number;

  constructor(
    private readonly launcher: StdioLauncher,
    opts: { now?: () => number; destinations?: DestinationGuard } = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.destinations = opts.destinations;
  }

  private readonly destinations: DestinationGuard | undefined;

  get(spec: UpstreamSpec): UpstreamConnection {
    const existing = this.connections.get(spec.key);
    if (existing && existing.spec.fingerprint === spec.fingerprint) {
      this.lastUsed.set(existing, this.now());
      return existing;
    }
    if (existing) this.retire(existing);
    const created = new UpstreamConnection(spec, this.launcher, this.destinations);
    this.connections.set(spec.key, created);
    this.lastUsed.set(created, this.now());
    return created;
  }

  /**
   * Closes connections no open session listens to and nobody used for `idleMs` (per-user
   * connections and stdio processes would otherwise pile up). They are re-created on the next use.
   */
  async evictIdle(idleMs: number): Promise<number> {
    const cutoff = this.now() - idleMs;
    const idle = [...this.connections.values()].filter((c) => c.listeners.size === 0 && (this.lastUsed.get(c) ?? 0) < cutoff);
    for (const c of idle) this.connections.delete(c.spec.key);
    await Promise.all(idle.map((c) => c.close()));
    return idle.length;
  }

  /** Every live connection of one server (health view). */
  ofServer(serverId: string): UpstreamConnection[] {
    return [...this.connections.values()].filter((c) => c.spec.serverId === serverId);
  }

  invalidate(serverId: string) {
    for (const c of this.ofServer(serverId)) this.retire(c);
  }

  /** Tells sessions using a server that its lists may have changed (tools enabled, grants, ...). */
  notifyChanged(serverId: string) {
    for (const c of this.ofServer(serverId)) for (const l of c.listeners) l.onListChanged("tools");
  }

  async closeAll() {
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(all.map((c) => c.close()));
  }

  private retire(c: UpstreamConnection) {
    this.connections.delete(c.spec.key);
    // Downstream sessions re-resolve their upstreams when told the lists changed.
    for (const l of c.listeners) l.onListChanged("tools");
    void c.close();
  }
}
