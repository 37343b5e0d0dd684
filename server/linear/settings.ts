import type { Env } from "../config/schema";

export const LINEAR_VARIABLES = ["LINEAR_CLIENT_ID", "LINEAR_CLIENT_SECRET", "LINEAR_WEBHOOK_SECRET"] as const;

/** The variables the Linear integration reads (server/config/schema.ts). */
export type LinearEnv = Pick<Env, (typeof LINEAR_VARIABLES)[number] | "LAP_LINEAR_API_URL" | "LAP_LINEAR_AUTHORIZE_URL">;

export interface LinearSettings {
  clientId: string;
  clientSecret: string;
  webhookSecret: string;
  /** Linear's API origin: `/oauth/token` and `/graphql` live under it. */
  apiUrl: string;
  authorizeUrl: string;
}

/**
 * The Linear integration exists only with all three variables set (docs/linear.md); otherwise
 * its install, callback and webhook routes are not registered and answer 404 like any unknown path.
 */
export function linearSettings(env: LinearEnv): { configured: true; settings: LinearSettings } | { configured: false; missing: string[] } {
  const missing = LINEAR_VARIABLES.filter((k) => !env[k]);
  if (missing.length > 0) return { configured: false, missing };
  return {
    configured: true,
    settings: {
      clientId: env.LINEAR_CLIENT_ID!,
      clientSecret: env.LINEAR_CLIENT_SECRET!,
      webhookSecret: env.LINEAR_WEBHOOK_SECRET!,
      apiUrl: env.LAP_LINEAR_API_URL.replace(/\/+$/, ""),
      authorizeUrl: env.LAP_LINEAR_AUTHORIZE_URL,
    },
  };
}
