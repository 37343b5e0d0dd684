import { inArray } from "drizzle-orm";
import { mcpServers, vaultSecrets } from "../../schema";
import type { Principal } from "../auth/model";
import { isAdmin, may } from "../auth/policy";
import type { Database } from "../db/client";
import { ApiError, badRequest } from "../lib/errors";

/**
 * What an agent may name by name: vault secrets and MCP servers of its own team or org-wide ones,
 * never another team's, whoever asks (docs/security.md "Users, teams and roles"). A name resolves to
 * the team's own object first, then the org-wide one; the sandbox gets the same resolution
 * (VaultService.resolve, McpGateway.visible), so these checks only give a clear 400 early.
 */

/**
 * Vault secrets are made by admins (org-wide) or a team's admins (that team's), so only they attach
 * one to an agent: an admin any org-wide one or the agent's team's, a team admin its team's own;
 * others may keep or drop the ones attached, never add one. A name that exists only in other teams
 * is a 400 naming `vault_keys`, for admins too; a name nowhere is left to fail at sandbox start.
 */
export async function assertVaultKeys(database: Database, actor: Principal, teamId: string, wanted: string[], current: string[]) {
  const added = [...new Set(wanted.filter((k) => !current.includes(k)))];
  if (added.length === 0) return;
  const admin = isAdmin(actor);
  const teamAdmin = admin || may(actor, "manage", { teamId });
  if (!teamAdmin) {
    throw new ApiError(
      403,
      "forbidden",
      `vault_keys: only an admin, or a team admin for the team's own secrets, attaches vault secrets to an agent (${added.slice(0, 5).join(", ")})`,
      [{ field: "vault_keys", message: "only an admin attaches vault secrets" }],
    );
  }
  const rows = await database.db
    .select({ name: vaultSecrets.name, teamId: vaultSecrets.teamId })
    .from(vaultSecrets)
    .where(inArray(vaultSecrets.name, added));
  const own = (k: string) => rows.some((r) => r.name === k && r.teamId === teamId);
  const orgWide = (k: string) => rows.some((r) => r.name === k && r.teamId === null);
  // A team admin may not attach an org-wide secret: that is an admin's to give (403).
  const adminsOnly = admin ? [] : added.filter((k) => !own(k) && orgWide(k));
  if (adminsOnly.length) {
    throw new ApiError(403, "forbidden", `vault_keys: ${adminsOnly.join(", ")} is org-wide: only an admin attaches it to an agent`, [
      { field: "vault_keys", message: "org-wide secrets are attached by an admin" },
    ]);
  }
  const refused = added.filter((k) => !own(k) && !(admin && orgWide(k)) && (!admin || rows.some((r) => r.name === k)));
  if (refused.length === 0) return;
  const message = admin
    ? `${refused.join(", ")}: no vault secret of this name in the agent's team ${teamId} or org-wide (another team's is not the agent's)`
    : `${refused.join(", ")}: no vault secret of this name in team ${teamId}`;
  throw badRequest(`vault_keys: ${message}`, [{ field: "vault_keys", message }]);
}

/**
 * MCP servers listed by name: a name registered in LAP's gateway must be the agent's team's or an
 * org-wide one; a name LAP has not registered is a server the runtime reaches itself (not LAP's).
 */
export async function assertMcpServers(
  database: Database,
  teamId: string,
  wanted: Array<{ name: string }> | undefined,
  current: Array<{ name: string }> = [],
) {
  const added = [...new Set((wanted ?? []).map((s) => s.name).filter((n) => !current.some((c) => c.name === n)))];
  if (added.length === 0) return;
  const rows = await database.db
    .select({ name: mcpServers.name, teamId: mcpServers.teamId })
    .from(mcpServers)
    .where(inArray(mcpServers.name, added));
  const refused = added.filter(
    (n) => rows.some((r) => r.name === n) && !rows.some((r) => r.name === n && (r.teamId === null || r.teamId === teamId)),
  );
  if (refused.length === 0) return;
  const message = `${refused.join(", ")}: no MCP server of this name in the agent's team ${teamId} or org-wide (another team's is not the agent's)`;
  throw badRequest(`mcp_servers: ${message}`, [{ field: "mcp_servers", message }]);
}
