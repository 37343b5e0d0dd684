/** Who may call LAP: the master key, secrets at rest, proxies in front, SSO. */
import { z } from "zod";
import { describedIn, intFromEnv, optionalString, urlString } from "./fields";

const { plain, secret } = describedIn("Auth");

export const authEnv = {
  MASTER_KEY: optionalString
    .pipe(z.string().min(8, "must be at least 8 characters").optional())
    .meta(
      secret(
        "Admin credential for the API (Bearer or x-api-key) and the dashboard login; at least 32 characters with LAP_ENV=production. Generated into LAP_DATA_DIR in development when unset.",
      ),
    ),
  ENCRYPTION_KEY: optionalString
    .pipe(
      z
        .string()
        .refine((v) => Buffer.from(v, "base64").length === 32, "must be 32 bytes, base64-encoded (openssl rand -base64 32)")
        .optional(),
    )
    .meta(secret("Base64 32-byte key for secrets at rest (AES-256-GCM). Generated into LAP_DATA_DIR in development when unset.")),
  LAP_TRUSTED_PROXY_HOPS: intFromEnv(0, 0).meta(
    plain(
      "Reverse proxies in front of LAP whose X-Forwarded-For is believed, for the per-address backoff on failed logins and keys. 0: the connection's own address.",
    ),
  ),
  UI_USERNAME: z.string().default("admin").meta(plain("Name shown on the dashboard. Cosmetic: login uses MASTER_KEY or an admin key.")),
  OIDC_ISSUER_URL: optionalString
    .pipe(urlString.optional())
    .meta(
      plain(
        "OpenID Connect issuer for dashboard sign-in with SSO (discovery at /.well-known/openid-configuration). Unset: no SSO button. Operator config: not checked against private addresses.",
      ),
    ),
  OIDC_CLIENT_ID: optionalString.meta(
    plain("Client id LAP is registered with at the OIDC issuer (redirect URI: BASE_URL/api/auth/oidc/callback)."),
  ),
  OIDC_CLIENT_SECRET: optionalString.meta(secret("Client secret at the OIDC issuer (unset: a public client, PKCE only).")),
  OIDC_SCOPES: z
    .string()
    .default("openid email profile")
    .meta(plain("Scopes asked of the OIDC issuer; LAP needs a verified `email` claim.")),
  OIDC_AUTO_CREATE_USERS: z
    .enum(["true", "false"], { message: 'must be "true" or "false"' })
    .default("false")
    .transform((v) => v === "true")
    .meta(
      plain(
        "true: an SSO sign-in with a verified email no user has creates a member with no teams. false: only users an admin created or invited sign in.",
      ),
    ),
};
