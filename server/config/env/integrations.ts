/** Linear and other integrations (their routes answer 404 when unset). */
import { z } from "zod";
import { describedIn, optionalString, urlString } from "./fields";

const { plain, secret } = describedIn("Integrations");

export const integrationsEnv = {
  LINEAR_CLIENT_ID: optionalString.meta(
    plain(
      "Client ID of your Linear OAuth application (redirect URL: ${BASE_URL}/api/integrations/oauth/linear/callback). Any of the three LINEAR_* unset disables the integration: its routes answer 404.",
    ),
  ),
  LINEAR_CLIENT_SECRET: optionalString.meta(secret("Client secret of the same Linear OAuth application.")),
  LINEAR_WEBHOOK_SECRET: optionalString.meta(
    secret(
      'Webhook signing secret from Linear (webhook URL: ${BASE_URL}/api/integrations/webhooks/linear, category "Agent session events").',
    ),
  ),
  LAP_LINEAR_API_URL: z
    .string()
    .pipe(urlString)
    .default("https://api.linear.app")
    .meta(plain("Linear's API origin (its /oauth/token and /graphql): a proxy, or a local fake in tests. Set by the operator only.")),
  LAP_LINEAR_AUTHORIZE_URL: z
    .string()
    .pipe(urlString)
    .default("https://linear.app/oauth/authorize")
    .meta(plain("Where the Linear install sends the browser to authorize LAP.")),
};
