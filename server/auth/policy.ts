import { eq, inArray, or, sql, type Column, type SQL } from "drizzle-orm";
import { DEFAULT_TEAM_ID, type TeamRole } from "../../schema/teams";
import { badRequest, forbidden } from "../lib/errors";
import type { Principal } from "./model";

/**
 * The one answer to "may this caller do this to this object" (docs/security.md "Users, teams and
 * roles"). The route table (server/http/route-policy.ts) decides which kinds of caller reach a route at
 * all; every service then asks this module about the rows it touches, and lists filter with `scopeOf`.
 *
 * Objects belong to a team (`team_id`); org-wide ones (runtimes, vault secrets and MCP servers an org
 * admin registered) have none. Roles rank owner > admin > member > viewer, each allowed what the ones
 * below it are:
 * - `read`: see, list, stream (viewer and up);
 * - `create`: make agents and sessions in the team (member and up);
 * - `act`: change, message, stop, delete, decide approvals on an object: its creator if a member,
 *   any object of the team for its admins;
 * - `manage`: the team's shared things: runtimes, vault secrets, MCP servers and grants, Slack
 *   bindings, gateway keys, adding members (admin and up);
 * - `administer`: roles (making owners), removing admins, deleting the team (owner).
 * Admins (the master key, admin keys, org-admin users) may do everything. Another team's object
 * does not exist for the caller (404), so callers use `visible` before `may`.
 */
export type Action = "read" | "create" | "act" | "manage" | "administer";

export interface Owned {
  /** null: org-wide. */
  teamId: string | null;
  ownerUserId?: string | null;
  ownerKeyId?: string | null;
  /** A session's own id (stream tokens see exactly their session). */
  sessionId?: string;
}

const RANK: Record<TeamRole, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };
const NEEDS: Record<Action, TeamRole> = { read: "viewer", create: "member", act: "member", manage: "admin", administer: "owner" };

export const isAdmin = (p: Principal) => p.kind === "admin";
export const atLeast = (role: TeamRole, needed: TeamRole) => RANK[role] >= RANK[needed];

/** The caller's role in a team (null: none). Admins are owners everywhere. */
export function roleIn(p: Principal, teamId: string): TeamRole | null {
  if (isAdmin(p)) return "owner";
  return p.teams?.[teamId] ?? null;
}

/** Did this caller create the object (as the same user, or with the same key)? */
export function isCreator(p: Principal, o: Owned): boolean {
  return Boolean((p.userId && o.ownerUserId === p.userId) || (p.keyId && o.ownerKeyId === p.keyId));
}

/** May the caller see the object at all? (Not: another team's object, which is answered 404.) */
export function visible(p: Principal, o: Owned): boolean {
  if (isAdmin(p)) return true;
  if (p.kind === "stream") return Boolean(p.sessionId && o.sessionId === p.sessionId);
  if (p.kind !== "user") return false;
  // Org-wide things (runtimes, vault secrets, MCP servers an admin registered) are there for every team.
  if (o.teamId === null) return true;
  return roleIn(p, o.teamId) !== null;
}

export function may(p: Principal, action: Action, o: Owned): boolean {
  if (isAdmin(p)) return true;
  if (!visible(p, o)) return false;
  if (p.kind === "stream") return action === "read";
  // Org-wide objects: every user may read (use) them, only admins change them.
  if (o.teamId === null) return action === "read";
  const role = roleIn(p, o.teamId)!;
  if (!atLeast(role, NEEDS[action])) return false;
  if (action === "act" && !atLeast(role, "admin")) return isCreator(p, o);
  return true;
}

/** Throws 403 naming what the caller lacks; call after `visible` (a hidden object is a 404). */
export function assertMay(p: Principal, action: Action, o: Owned, what: string): void {
  if (may(p, action, o)) return;
  throw forbidden(refusalOf(p, action, o, what));
}

function refusalOf(p: Principal, action: Action, o: Owned, what: string): string {
  if (o.teamId === null) return `${what} is org-wide: only an admin may change it`;
  const role = roleIn(p, o.teamId);
  if (action === "act" && role && atLeast(role, "member")) return `Only its creator or a team admin may change ${what} (you are a ${role})`;
  return `${what}: this needs the team role ${NEEDS[action]} or higher${role ? ` (you are a ${role})` : ""}`;
}

/** The teams in which the caller may do `action` (undefined: every team, for admins). */
export function teamsWhere(p: Principal, action: Action): string[] | undefined {
  if (isAdmin(p)) return undefined;
  if (p.kind !== "user") return [];
  const needed = action === "act" ? "member" : NEEDS[action];
  return Object.entries(p.teams ?? {})
    .filter(([, r]) => atLeast(r, needed))
    .map(([t]) => t);
}

/**
 * Which rows a list shows: everything (admins), the caller's teams (narrowed to one by the dashboard's
 * team switcher, `x-lap-team`), or a stream token's one session.
 */
export type Scope = { all: true } | { all: false; teamIds: string[]; sessionId?: string; orgWide?: boolean };

/** Everything: admins, and LAP's own callers (workers, Slack) that act for an admin. */
export const ALL: Scope = { all: true };

/** LAP acting on its own (workers, Slack, recovery): an admin. */
export const SYSTEM: Principal = { via: "master_key", role: "admin", kind: "admin", label: "LAP" };

export function scopeOf(p: Principal, onlyTeam: string | undefined = p.activeTeam): Scope {
  if (p.kind === "stream") return { all: false, teamIds: [], sessionId: p.sessionId };
  const teams = teamsWhere(p, "read");
  if (teams === undefined) return onlyTeam ? { all: false, teamIds: [onlyTeam], orgWide: true } : ALL;
  return { all: false, teamIds: onlyTeam ? teams.filter((t) => t === onlyTeam) : teams, orgWide: true };
}

/** Whether the scope covers a row of this team (and, for sessions, this id). */
export function covers(scope: Scope, teamId: string | null, sessionId?: string): boolean {
  if (scope.all) return true;
  if (teamId === null) return scope.orgWide === true;
  if (scope.teamIds.includes(teamId)) return true;
  return Boolean(scope.sessionId && sessionId && scope.sessionId === sessionId);
}

/** The SQL filter for a list (undefined: no filter). Org-wide rows (team null) are listed for users. */
export function scopeWhere(scope: Scope, teamColumn: Column, idColumn?: Column): SQL | undefined {
  if (scope.all) return undefined;
  const parts: SQL[] = [];
  if (scope.teamIds.length) parts.push(inArray(teamColumn, scope.teamIds));
  if (scope.orgWide && !teamColumn.notNull) parts.push(sql`${teamColumn} is null`);
  if (scope.sessionId && idColumn) parts.push(eq(idColumn, scope.sessionId));
  if (parts.length === 0) return sql`false`;
  return parts.length === 1 ? parts[0] : or(...parts);
}

/** `scopeWhere` for hand-written SQL: pushes its parameters onto `params` (null: everything). */
export function scopeSql(scope: Scope, params: unknown[], teamColumn: string, idColumn?: string): string | null {
  if (scope.all) return null;
  const parts: string[] = [];
  if (scope.teamIds.length) parts.push(`${teamColumn} = any($${params.push(scope.teamIds)}::text[])`);
  if (scope.sessionId && idColumn) parts.push(`${idColumn} = $${params.push(scope.sessionId)}`);
  return parts.length ? `(${parts.join(" or ")})` : "false";
}

/** Who created something, as stamped on the row. */
export const creatorOf = (p: Principal) => ({ ownerKeyId: p.keyId ?? null, ownerUserId: p.userId ?? null });

/**
 * The team a new object goes to: the one asked for (the body's `team_id`, else the team switcher's),
 * else the caller's only team where it may `action`; admins default to the Default team. 400 when a
 * member of several teams names none; 403 for a team it may not create in (404-like for a team it is
 * not in: it is told only that it is not a member).
 */
export function teamForNew(p: Principal, requested: string | undefined, action: Action = "create", field = "team_id"): string {
  const allowed = teamsWhere(p, action);
  if (allowed === undefined) return requested ?? p.activeTeam ?? DEFAULT_TEAM_ID;
  requested ??= p.activeTeam;
  if (requested) {
    if (allowed.includes(requested)) return requested;
    const role = p.teams?.[requested];
    throw forbidden(
      role
        ? `${field}: a ${role} may not do this in team ${requested} (needs ${NEEDS[action]})`
        : `${field}: you are not a member of team ${requested}`,
    );
  }
  if (allowed.length === 1) return allowed[0]!;
  if (allowed.length === 0) throw forbidden(`You are in no team where you may do this (needs the role ${NEEDS[action]}); ask a team admin`);
  throw badRequest(`${field}: you are in several teams; say which (${allowed.slice(0, 5).join(", ")})`, [
    { field, message: "required: you are in several teams" },
  ]);
}

/**
 * May this caller decide a tool call of this session? Whoever may `act` on the session (its creator,
 * the team's admins, admins), and never a key bound to a session or an agent: what runs in a sandbox
 * must not approve its own calls.
 */
export function mayDecide(p: Principal, session: Owned): boolean {
  if (p.sessionId || p.agentId) return false;
  return may(p, "act", session);
}

/**
 * A team's shared things (runtimes, vault secrets, MCP servers): a new one goes to the body's
 * `team_id`, else the team switcher's; for an admin neither means org-wide, for anyone else its only
 * team where it is an admin, as `teamForNew` with `manage`.
 */
export function teamForShared(p: Principal, requested: string | undefined): string | null {
  if (isAdmin(p)) return requested ?? p.activeTeam ?? null;
  return teamForNew(p, requested, "manage");
}

/**
 * Reading or changing one shared thing: another team's is a 404 (it does not exist for the caller), a
 * visible one needs `manage` to change (org-wide ones: admins only, a 403 saying so).
 */
export function assertShared(
  p: Principal,
  teamId: string | null,
  action: "read" | "manage",
  what: string,
  notFoundError: () => Error,
): void {
  if (!visible(p, { teamId })) throw notFoundError();
  if (action === "manage") assertMay(p, "manage", { teamId }, what);
}
