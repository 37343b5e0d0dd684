import { and, asc, eq, inArray, isNull, or, sql } from "drizzle-orm";
import { randomUUID } from "node:crypto";
import { agents, vaultSecrets, type VaultSecretRow } from "../../schema";
import { audited, NO_AUDIT, type AuditPort } from "../audit/record";
import type { Principal } from "../auth/model";
import { assertShared, covers, scopeOf, scopeWhere, SYSTEM, teamForShared, type Scope } from "../auth/policy";
import type { Database, SqlTx } from "../db/client";
import type { SecretBox } from "../lib/crypto";
import { badRequest, conflict, notFound } from "../lib/errors";
import { withConstraintConflicts } from "../lib/pg-errors";
import { DestinationGuard } from "../net/destinations";
import { hostPatternErrors } from "../net/user-destinations";
import type { VaultSecret } from "../sandboxes/egress/policy";
import {
  createVaultSecretBody,
  updateVaultSecretBody,
  type CreateVaultSecretInput,
  type UpdateVaultSecretInput,
  type VaultSecretView,
} from "./model";
import { resolveNames } from "./resolve";

/** Shows that a value is set and which one, without giving it away. */
export const hintOf = (value: string) => `••••${value.length >= 12 ? value.slice(-4) : ""}`;

/** An agent names vault keys that do not exist: its sandbox must not start without them. */
export class MissingVaultSecrets extends Error {
  constructor(readonly names: string[]) {
    super(
      `vault secret${names.length > 1 ? "s" : ""} ${names.join(", ")} not found: add ${names.length > 1 ? "them" : "it"} in the Vault, or remove ${names.length > 1 ? "them" : "it"} from the agent's vault keys`,
    );
  }
}

/** The vault: sealed values, their bound hosts, which agents use them, and when they were last used. */
export class VaultService {
  /** `destinations` refuses hosts that name non-public addresses (docs/security.md); default: no exceptions. */
  constructor(private readonly deps: { database: Database; box: SecretBox; destinations?: DestinationGuard; audit?: AuditPort }) {}

  private get audit() {
    return this.deps.audit ?? NO_AUDIT;
  }

  /** A secret's hosts go through the same check as an agent's egress allow-list. */
  private assertHosts(hosts: string[] | undefined) {
    const fields = hostPatternErrors("hosts", hosts, this.deps.destinations ?? new DestinationGuard());
    if (fields.length) throw badRequest(`Invalid body: ${fields.map((f) => `${f.field}: ${f.message}`).join("; ")}`, fields);
  }

  private get db() {
    return this.deps.database.db;
  }

  /** Admins: every secret; anyone else: its teams' and the org-wide ones (the team switcher narrows it). */
  async list(actor: Principal = SYSTEM): Promise<VaultSecretView[]> {
    const scope = scopeOf(actor);
    const rows = await this.db
      .select()
      .from(vaultSecrets)
      .where(scopeWhere(scope, vaultSecrets.teamId))
      .orderBy(asc(vaultSecrets.name), asc(vaultSecrets.teamId));
    const users = await this.usersById(scope);
    return rows.map((r) => view(r, users.get(r.id) ?? []));
  }

  async get(id: string, actor: Principal = SYSTEM): Promise<VaultSecretView> {
    const row = await this.row(id);
    assertShared(actor, row.teamId, "read", "this vault secret", () => notFound("Vault secret"));
    return view(row, (await this.usersById(scopeOf(actor))).get(row.id) ?? []);
  }

  /** Org-wide (admins, no `team_id`) or a team's (its admins and owners; docs/security.md "Users, teams and roles"). */
  async create(input: CreateVaultSecretInput, actor: Principal = SYSTEM): Promise<VaultSecretView> {
    const p = createVaultSecretBody.parse(input);
    this.assertHosts(p.hosts);
    const teamId = teamForShared(actor, p.team_id);
    const [row] = await withConstraintConflicts(
      () =>
        audited(
          this.db,
          this.audit,
          (tx) =>
            tx
              .insert(vaultSecrets)
              .values({
                id: `vlt_${randomUUID().replaceAll("-", "").slice(0, 20)}`,
                name: p.name,
                valueSealed: this.deps.box.encrypt(p.value),
                valueHint: hintOf(p.value),
                hosts: [...new Set(p.hosts)],
                description: p.description,
                teamId,
              })
              .returning(),
          ([r]) => ({ actor, action: "vault_secret.create", objectType: "vault_secret", objectId: r!.id, teamId: r!.teamId, after: r }),
        ),
      {
        unique: `A vault secret named ${p.name} already exists ${teamId ? `in team ${teamId}` : "org-wide"}; rotate its value instead`,
        foreignKey: `team_id: no team ${p.team_id}`,
      },
    );
    return view(row!, (await this.usersById(scopeOf(actor))).get(row!.id) ?? []);
  }

  /** Changes hosts or description, or rotates the value (sandboxes started after this get the new one). */
  async update(id: string, input: UpdateVaultSecretInput, actor: Principal = SYSTEM): Promise<VaultSecretView> {
    const p = updateVaultSecretBody.parse(input);
    const current = await this.row(id);
    assertShared(actor, current.teamId, "manage", "this vault secret", () => notFound("Vault secret"));
    this.assertHosts(p.hosts);
    const now = new Date();
    const set: Partial<typeof vaultSecrets.$inferInsert> = { updatedAt: now };
    if (p.hosts !== undefined) set.hosts = [...new Set(p.hosts)];
    if (p.description !== undefined) set.description = p.description;
    if (p.value !== undefined)
      Object.assign(set, { valueSealed: this.deps.box.encrypt(p.value), valueHint: hintOf(p.value), rotatedAt: now });
    const [row] = await audited(
      this.db,
      this.audit,
      (tx) => tx.update(vaultSecrets).set(set).where(eq(vaultSecrets.id, id)).returning(),
      ([r]) => ({
        actor,
        action: p.value !== undefined ? "vault_secret.rotate" : "vault_secret.update",
        objectType: "vault_secret",
        objectId: id,
        teamId: current.teamId,
        before: current,
        after: r,
      }),
    );
    return view(row!, (await this.usersById(scopeOf(actor))).get(row!.id) ?? []);
  }

  /** Refused while an agent still lists the secret: its next sandbox would fail to start. */
  async remove(id: string, actor: Principal = SYSTEM): Promise<VaultSecretView> {
    const row = await this.row(id);
    assertShared(actor, row.teamId, "manage", "this vault secret", () => notFound("Vault secret"));
    // Every agent using it, also those the caller cannot see (named only when visible).
    const all = (await this.usersById({ all: true })).get(row.id) ?? [];
    const scope = scopeOf(actor);
    const users = all.map((u) => (covers(scope, u.teamId) ? u : { ...u, name: "an agent of another team" }));
    if (users.length)
      throw conflict(`${row.name} is used by ${users.map((u) => u.name).join(", ")}; remove it from those agents' vault keys first`);
    await audited(
      this.db,
      this.audit,
      (tx) => tx.delete(vaultSecrets).where(eq(vaultSecrets.id, id)),
      () => ({
        actor,
        action: "vault_secret.delete",
        objectType: "vault_secret",
        objectId: id,
        teamId: row.teamId,
        before: row,
        after: null,
      }),
    );
    return view(row, []);
  }

  /**
   * The real values for a sandbox of an agent of `teamId`: each name is the team's own secret, else
   * the org-wide one; another team's never (docs/security.md "Users, teams and roles"). Every name must resolve.
   */
  async resolve(names: string[], teamId: string | null): Promise<VaultSecret[]> {
    if (names.length === 0) return [];
    const rows = await this.db
      .select()
      .from(vaultSecrets)
      .where(
        and(
          inArray(vaultSecrets.name, names),
          teamId ? or(eq(vaultSecrets.teamId, teamId), isNull(vaultSecrets.teamId)) : isNull(vaultSecrets.teamId),
        ),
      );
    const { found, missing } = resolveNames(names, rows, teamId);
    if (missing.length) throw new MissingVaultSecrets(missing);
    return found.map((r) => ({ name: r.name, value: this.deps.box.decrypt(r.valueSealed), hosts: r.hosts }));
  }

  /**
   * Called after each batch of egress records with the secrets swapped and their latest use: the
   * secret a name meant in that sandbox is its agent's team's, else the org-wide one (as `resolve`).
   */
  async markUsed(uses: Array<{ name: string; sandboxId?: string; at: Date }>) {
    for (const u of uses) {
      await this.deps.database.query(
        `update vault_secrets set last_used_at = greatest(coalesce(last_used_at, $3::timestamptz), $3::timestamptz)
          where id = (select v.id from vault_secrets v
                       left join lateral (select a.team_id from sandboxes s join agents a on a.id = s.agent_id
                                           where s.sandbox_id = $2 or s.id = $2 order by s.created_at desc limit 1) t on true
                      where v.name = $1 and (v.team_id is null or v.team_id = t.team_id)
                      order by v.team_id is null limit 1)`,
        [u.name, u.sandboxId ?? "", u.at.toISOString()],
      );
    }
  }

  /**
   * Every secret of these names, of any team (no values): which one an egress record's audit row names
   * (server/sandboxes/egress/records.ts), read in the record batch's transaction `tx`.
   */
  async secretsNamed(names: string[], tx: Pick<SqlTx, "query"> = this.deps.database) {
    const rows = await tx.query<{ id: string; name: string; team_id: string | null }>(
      "select id, name, team_id from vault_secrets where name = any($1::text[])",
      [names],
    );
    return rows.map((r) => ({ id: r.id, name: r.name, teamId: r.team_id }));
  }

  private async row(id: string): Promise<VaultSecretRow> {
    const [row] = await this.db.select().from(vaultSecrets).where(eq(vaultSecrets.id, id));
    if (!row) throw notFound("Vault secret");
    return row;
  }

  /** Agents using each secret (by id: an agent's name resolves in its team first), within `scope`. */
  private async usersById(scope: Scope): Promise<Map<string, Array<{ id: string; name: string; teamId: string }>>> {
    const agentRows = await this.db
      .select({ id: agents.id, name: agents.name, teamId: agents.teamId, keys: agents.vaultKeys })
      .from(agents)
      .where(and(sql`jsonb_array_length(${agents.vaultKeys}) > 0`, scopeWhere(scope, agents.teamId)))
      .orderBy(asc(agents.name));
    const out = new Map<string, Array<{ id: string; name: string; teamId: string }>>();
    if (!agentRows.length) return out;
    const names = [...new Set(agentRows.flatMap((a) => a.keys))];
    const secrets = await this.db
      .select({ id: vaultSecrets.id, name: vaultSecrets.name, teamId: vaultSecrets.teamId })
      .from(vaultSecrets)
      .where(inArray(vaultSecrets.name, names));
    for (const a of agentRows) {
      for (const s of resolveNames(
        a.keys,
        secrets.filter((r) => r.teamId === null || r.teamId === a.teamId),
        a.teamId,
      ).found) {
        out.set(s.id, [...(out.get(s.id) ?? []), { id: a.id, name: a.name, teamId: a.teamId }]);
      }
    }
    return out;
  }
}

function view(r: VaultSecretRow, users: Array<{ id: string; name: string }>): VaultSecretView {
  users = users.map(({ id, name }) => ({ id, name }));
  return {
    id: r.id,
    name: r.name,
    hosts: r.hosts,
    description: r.description,
    value_hint: r.valueHint,
    agents: users,
    team_id: r.teamId,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
    rotated_at: r.rotatedAt.toISOString(),
    last_used_at: r.lastUsedAt?.toISOString() ?? null,
  };
}
