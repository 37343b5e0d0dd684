import type { Principal } from "../../auth/model";
import type { KeyState } from "../keys/limits";

/**
 * The team and user a gateway call is for, which its spend is counted against (docs/gateway.md,
 * "Teams and users"): a virtual or session key's `team_id` and `user_id`; else the caller's (a user's
 * sign-in or personal key: its user, and its team when it acts in exactly one, or the team switcher's).
 */
export function attributionOf(principal: Principal, state: KeyState | null): { teamId: string | null; userId: string | null } {
  if (state) return { teamId: state.row.teamId, userId: state.row.userId };
  const userId = principal.userId ?? null;
  const teams = Object.keys(principal.teams ?? {});
  const active =
    principal.activeTeam && (principal.kind === "admin" || teams.includes(principal.activeTeam)) ? principal.activeTeam : undefined;
  return { teamId: active ?? (principal.kind === "user" && teams.length === 1 ? teams[0]! : null), userId };
}
