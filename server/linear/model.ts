import { z } from "zod";
import { safeString } from "../lib/strings";

/** Linear organization ids are UUIDs; `*` binds the default agent for every workspace. */
const organizationId = z
  .string()
  .max(64, "must be a Linear organization id (a UUID) or *")
  .trim()
  .regex(/^(\*|[A-Za-z0-9][A-Za-z0-9-]{0,63})$/, "must be a Linear organization id (a UUID) or *");

export const linearBindingBody = z.object({
  organization_id: organizationId.default("*"),
  // No agent chosen in the form sends "": that is a missing agent, so it says "is required".
  agent_id: safeString({ max: 200, line: true }).pipe(z.string().trim().min(1, "is required")),
});

/** What Linear's authorize page sends back: a code and the state, or an error. */
export const callbackQuery = z.object({
  code: safeString({ max: 2000, line: true }).optional(),
  state: safeString({ max: 200, line: true }).optional(),
  error: safeString({ max: 200, line: true }).optional(),
});

export const organizationParams = z.object({ organization_id: organizationId });
export const linearEventsQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) });

/** GET /api/integrations/linear/status: what the Integrations page shows (never a token or secret). */
export interface LinearStatus {
  configured: boolean;
  /** The LINEAR_* variables that are unset (the integration is off while any is). */
  missing: string[];
  urls: { callback: string; webhook: string; install: string };
  installations: Array<{
    organization_id: string;
    organization_name: string;
    url_key: string;
    app_user_id: string;
    scopes: string;
    installed_at: string;
  }>;
  bindings: Array<{ organization_id: string; agent_id: string; agent_name: string | null; lap_team_id: string }>;
}

export interface LinearEventView {
  id: string;
  organization_id: string;
  agent_session_id: string | null;
  action: string;
  status: string;
  session_id: string | null;
  turn_id: string | null;
  error: string | null;
  created_at: string;
}
