import type { Principal } from "../auth/model";
import { assertShared, may, scopeOf, scopeWhere, SYSTEM, teamForShared } from "../auth/policy";
import { and, asc, eq } from "drizzle-orm";
import { randomUUID } from "node:crypto";
import { runtimeAgents, runtimes, type RuntimeRow } from "../../schema";
import { audited, NO_AUDIT, type AuditPort } from "../audit/record";
import type { Database } from "../db/client";
import type { SecretBox } from "../lib/crypto";
import { badRequest, conflict, notFound } from "../lib/errors";
import type { DestinationGuard } from "../net/destinations";
import { defaultPort, pinnedFetch } from "../net/pinned-fetch";
import { withConstraintConflicts } from "../lib/pg-errors";
import { RuntimeError, type RemoteAgentRef, type RuntimeAdapter } from "./adapter";
import { ManagedAgentsAdapter } from "./managed-agents";
import { createRuntimeBody, type CreateRuntimeInput, type RuntimeView } from "./model";

export interface RuntimeServiceDeps {
  database: Database;
  secrets: SecretBox;
  /** Lets tests and the sandbox runtime plug in other adapters per protocol. */
  adapterFactory?: (row: RuntimeRow, apiKey: string) => RuntimeAdapter;
  /** LAP's own sandbox runtime (bubblewrap or Kubernetes), used for the built-in `sandbox` row. */
  sandboxAdapter?: () => RuntimeAdapter;
  /** The audit trail (server/audit). */
  audit?: AuditPort;
  /** A team admin's base URL must not name a non-public address (docs/security.md); admins' are the operator's. */
  destinations?: DestinationGuard;
}

/** The built-in runtime every LAP has: agents on it run in LAP's own sandboxes. */
export const LOCAL_SANDBOX_RUNTIME = { id: "rt_local_sandbox", alias: "local-sandbox", baseUrl: "sandbox://local" } as const;

/** The runtime registry: rows with sealed keys, adapters built on demand, remote agent refs. */
export class RuntimeService {
  constructor(private readonly deps: RuntimeServiceDeps) {}

  async create(input: CreateRuntimeInput, actor: Principal = SYSTEM): Promise<RuntimeView> {
    const parsed = createRuntimeBody.parse(input);
    const teamId = teamForShared(actor, parsed.team_id);
    this.assertBaseUrl(actor, parsed.base_url);
    const [row] = await withConstraintConflicts(
      () =>
        audited(
          this.deps.database.db,
          this.deps.audit ?? NO_AUDIT,
          (tx) =>
            tx
              .insert(runtimes)
              .values({
                id: `rt_${randomUUID().replaceAll("-", "").slice(0, 20)}`,
                alias: parsed.alias,
                protocol: parsed.protocol,
                baseUrl: parsed.base_url.replace(/\/+$/, ""),
                apiKeySealed: this.deps.secrets.encrypt(parsed.api_key),
                teamId,
                baseUrlChecked: actor.kind !== "admin",
              })
              .returning(),
          ([r]) => ({ actor, action: "runtime.create", objectType: "runtime", objectId: r!.id, teamId: r!.teamId, after: r }),
        ),
      {
        unique: `A runtime with alias ${parsed.alias} already exists ${teamId ? `in team ${teamId}` : "org-wide"}`,
        foreignKey: `team_id: no team ${parsed.team_id}`,
      },
    );
    return this.view(row!);
  }

  /**
   * Admins: every runtime. Anyone else (to pick one for an agent): the org-wide ones and its teams';
   * the base URL, key hint and status message only of those it manages (its teams' for a team admin).
   */
  async list(actor: Principal = SYSTEM): Promise<RuntimeView[]> {
    const rows = await this.deps.database.db
      .select()
      .from(runtimes)
      .where(scopeWhere(scopeOf(actor), runtimes.teamId))
      .orderBy(asc(runtimes.alias));
    return rows.map((r) => this.viewFor(actor, r));
  }

  /** One runtime the caller may see (another team's: 404). */
  async getFor(id: string, actor: Principal): Promise<RuntimeView> {
    const row = await this.row(id);
    assertShared(actor, row.teamId, "read", "this runtime", () => notFound("Runtime"));
    return this.viewFor(actor, row);
  }

  /** Checks a runtime the caller manages. */
  async testFor(id: string, actor: Principal): Promise<RuntimeView> {
    assertShared(actor, (await this.row(id)).teamId, "manage", "this runtime", () => notFound("Runtime"));
    return this.test(id);
  }

  private viewFor(actor: Principal, r: RuntimeRow): RuntimeView {
    return may(actor, "manage", { teamId: r.teamId })
      ? this.view(r)
      : { ...this.view(r), base_url: "", api_key_hint: "", status_message: null };
  }

  /** A visibly non-public base URL (loopback, private ranges) is refused for team admins: LAP would call it with the key. */
  private assertBaseUrl(actor: Principal, baseUrl: string) {
    if (actor.kind === "admin" || !this.deps.destinations) return;
    const url = new URL(baseUrl);
    const problem = this.deps.destinations.literalProblem(url.hostname.replace(/^\[(.*)\]$/, "$1"), defaultPort(url));
    if (problem) throw badRequest(`base_url: ${problem}`, [{ field: "base_url", message: problem }]);
  }

  async row(id: string): Promise<RuntimeRow> {
    const [row] = await this.deps.database.db.select().from(runtimes).where(eq(runtimes.id, id));
    if (!row) throw notFound("Runtime");
    return row;
  }

  async get(id: string): Promise<RuntimeView> {
    return this.view(await this.row(id));
  }

  async remove(id: string, actor: Principal = SYSTEM): Promise<RuntimeView> {
    const row = await this.row(id);
    assertShared(actor, row.teamId, "manage", "this runtime", () => notFound("Runtime"));
    if (row.protocol === "sandbox") throw conflict("The built-in local-sandbox runtime cannot be removed");
    const entry = { actor, action: "runtime.delete", objectType: "runtime", objectId: id, teamId: row.teamId, before: row, after: null };
    await withConstraintConflicts(
      () =>
        audited(
          this.deps.database.db,
          this.deps.audit ?? NO_AUDIT,
          (tx) => tx.delete(runtimes).where(eq(runtimes.id, id)),
          () => entry,
        ),
      {
        foreignKey: `Runtime ${row.alias} is used by agents; move them to another runtime first`,
      },
    );
    return this.view(row);
  }

  /** Calls the runtime and records whether it answered. */
  async test(id: string): Promise<RuntimeView> {
    const row = await this.row(id);
    let status: "ok" | "error" = "ok";
    let message: string | null = null;
    try {
      await this.adapter(row).check();
    } catch (err) {
      status = "error";
      message = (err as Error).message.slice(0, 500);
    }
    const [updated] = await this.deps.database.db
      .update(runtimes)
      .set({ status, statusMessage: message, checkedAt: new Date() })
      .where(eq(runtimes.id, id))
      .returning();
    return this.view(updated!);
  }

  /** Creates the built-in sandbox runtime row if it is missing (idempotent; safe on every start). */
  async ensureBuiltin(): Promise<void> {
    await this.deps.database.db
      .insert(runtimes)
      .values({
        id: LOCAL_SANDBOX_RUNTIME.id,
        alias: LOCAL_SANDBOX_RUNTIME.alias,
        protocol: "sandbox",
        baseUrl: LOCAL_SANDBOX_RUNTIME.baseUrl,
        apiKeySealed: this.deps.secrets.encrypt(""),
        status: "ok",
      })
      .onConflictDoNothing();
  }

  adapter(row: RuntimeRow): RuntimeAdapter {
    if (row.protocol === "sandbox") {
      if (!this.deps.sandboxAdapter) throw new RuntimeError("The sandbox runtime is not available in this process");
      return this.deps.sandboxAdapter();
    }
    const apiKey = this.deps.secrets.decrypt(row.apiKeySealed);
    if (this.deps.adapterFactory) return this.deps.adapterFactory(row, apiKey);
    // A team admin's URL: each connection goes to an address checked after resolution, not to whatever the name says next.
    const guard = row.baseUrlChecked ? this.deps.destinations : undefined;
    const fetch = guard
      ? (((input: string | URL, init?: RequestInit) => pinnedFetch(input, init ?? {}, { guard })) as typeof globalThis.fetch)
      : undefined;
    return new ManagedAgentsAdapter({ baseUrl: row.baseUrl, apiKey, ...(fetch ? { fetch } : {}) });
  }

  async adapterFor(id: string): Promise<RuntimeAdapter> {
    return this.adapter(await this.row(id));
  }

  async remoteAgent(runtimeId: string, agentId: string): Promise<RemoteAgentRef | null> {
    const [row] = await this.deps.database.db
      .select()
      .from(runtimeAgents)
      .where(and(eq(runtimeAgents.runtimeId, runtimeId), eq(runtimeAgents.agentId, agentId)));
    return row ? { remoteAgentId: row.remoteAgentId, remoteEnvironmentId: row.remoteEnvironmentId, signature: row.signature } : null;
  }

  async saveRemoteAgent(runtimeId: string, agentId: string, ref: RemoteAgentRef) {
    const values = {
      remoteAgentId: ref.remoteAgentId,
      remoteEnvironmentId: ref.remoteEnvironmentId,
      signature: ref.signature,
      updatedAt: new Date(),
    };
    await this.deps.database.db
      .insert(runtimeAgents)
      .values({ runtimeId, agentId, ...values })
      .onConflictDoUpdate({ target: [runtimeAgents.runtimeId, runtimeAgents.agentId], set: values });
  }

  private view(row: RuntimeRow): RuntimeView {
    const key = (() => {
      try {
        return this.deps.secrets.decrypt(row.apiKeySealed);
      } catch {
        return "";
      }
    })();
    return {
      id: row.id,
      alias: row.alias,
      protocol: row.protocol,
      base_url: row.baseUrl,
      api_key_hint: key.length > 8 ? `…${key.slice(-4)}` : "…",
      status: row.status,
      status_message: row.statusMessage,
      checked_at: row.checkedAt?.toISOString() ?? null,
      team_id: row.teamId,
      created_at: row.createdAt.toISOString(),
    };
  }
}
