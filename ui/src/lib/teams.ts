import { currentTeam, type Me } from "./api";

/**
 * What the caller may do with a team's shared things (runtimes, vault secrets, MCP servers), as the
 * server decides it (server/auth/policy.ts): admins everything, a team's admins and owners their team's;
 * org-wide ones (no team) are admins' only. The dashboard hides what would be refused.
 */
export const isOrgAdmin = (me: Me) => me.kind === "admin";
export const managedTeams = (me: Me) => (me.teams ?? []).filter((t) => t.role === "admin" || t.role === "owner");
export const mayManage = (me: Me, teamId: string | null) =>
  isOrgAdmin(me) || (teamId !== null && managedTeams(me).some((t) => t.id === teamId));
export const teamName = (me: Me, teamId: string | null) =>
  teamId === null ? "org-wide" : ((me.teams ?? []).find((t) => t.id === teamId)?.alias ?? teamId);

/** Where a new one goes: the team switcher's team, else the one team the caller manages; admins: org-wide. Null: say which (switcher). */
export function newGoesTo(me: Me): string | null {
  const chosen = currentTeam();
  if (chosen) return mayManage(me, chosen) ? teamName(me, chosen) : null;
  if (isOrgAdmin(me)) return "org-wide";
  const managed = managedTeams(me);
  return managed.length === 1 ? managed[0]!.alias : null;
}

/** Whether the caller may add one now (a team admin of several teams picks one in the switcher first). */
export const mayAdd = (me: Me) => newGoesTo(me) !== null;

/** Why the caller may not add one now. */
export const whyNotAdd = (me: Me, what: string) =>
  managedTeams(me).length
    ? `Pick a team you manage in the team switcher to add ${what}.`
    : `A team's admins and owners add ${what}; you may read them.`;
