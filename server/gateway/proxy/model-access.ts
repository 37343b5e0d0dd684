import type { Principal } from "../../auth/model";
import { ApiError } from "../../lib/errors";
import type { BudgetBook, BudgetState } from "../budgets/book";
import { type KeyState, modelAllowed } from "../keys/limits";
import type { VirtualKeyService } from "../keys/service";
import { attributionOf } from "./attribution";

/** Whose limits a gateway call is held to: the key's, its team's and its user's (docs/gateway.md, "Teams and users"). */
export interface CallerLimits {
  key: KeyState | null;
  team: BudgetState | null;
  user: BudgetState | null;
  teamId: string | null;
  userId: string | null;
}

export interface LimitSources {
  keys: VirtualKeyService;
  budgets: { teams: BudgetBook; users: BudgetBook };
}

/** Loads the key, team and user a call is attributed to (cached in process after the first call). */
export async function callerLimits(deps: LimitSources, principal: Principal): Promise<CallerLimits> {
  const key =
    principal.via === "api_key" && principal.keyId
      ? (deps.keys.cached(principal.keyId) ?? (await deps.keys.stateOf(principal.keyId)))
      : null;
  const who = attributionOf(principal, key);
  const team = who.teamId ? (deps.budgets.teams.cached(who.teamId) ?? (await deps.budgets.teams.stateOf(who.teamId))) : null;
  const user = who.userId ? (deps.budgets.users.cached(who.userId) ?? (await deps.budgets.users.stateOf(who.userId))) : null;
  return { key, team, user, teamId: who.teamId, userId: who.userId };
}

/**
 * Why this caller may not call `model` (null: it may). As in LiteLLM, `models` on a key, on its team
 * and on its user each narrow what may be called (empty: every model); the narrowest refusal is named.
 */
export function modelRefusal(limits: CallerLimits, model: string, group: string | undefined): ApiError | null {
  const field = (whose: string) => [{ field: "model", message: `not allowed for this ${whose}` }];
  if (limits.key && !modelAllowed(limits.key.row.models, model, group)) {
    return new ApiError(
      403,
      "key_model_access_denied",
      `This key is not allowed to call model=${model}. Allowed: ${limits.key.row.models.join(", ")}`,
      field("key"),
    );
  }
  if (limits.team && !modelAllowed(limits.team.models, model, group)) {
    return new ApiError(
      403,
      "team_model_access_denied",
      `Team ${limits.team.id} is not allowed to call model=${model}. Allowed: ${limits.team.models.join(", ")}`,
      field("team"),
    );
  }
  if (limits.user && !modelAllowed(limits.user.models, model, group)) {
    return new ApiError(
      403,
      "user_model_access_denied",
      `User ${limits.user.id} is not allowed to call model=${model}. Allowed: ${limits.user.models.join(", ")}`,
      field("user"),
    );
  }
  return null;
}
