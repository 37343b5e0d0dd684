/**
 * Which `litellm_params` of a stored deployment may sit in the database as plain JSON, and which
 * are sealed with the secret box (docs/security.md, "Hostile input"; docs/gateway.md). LiteLLM
 * deployments carry credentials under many names (api_key, aws_secret_access_key,
 * vertex_credentials, extra headers, a base URL with a password or a `?key=`), so the rule is an
 * allow-list: only the routing and pricing fields below stay plain, everything else is sealed.
 */

/** Routing, limits and pricing: never secret, and shown in views. */
const PLAIN_PARAMS = new Set([
  "model",
  "api_base",
  "rpm",
  "tpm",
  "order",
  "weight",
  "timeout",
  "stream_timeout",
  "max_retries",
  "input_cost_per_token",
  "output_cost_per_token",
  "api_version",
  "max_tokens",
  "region_name",
  "vertex_project",
  "vertex_location",
  "organization",
]);

/** A base URL that carries credentials: a user or password, or a query string (`?key=…`, `?sig=…`). */
export function urlHasCredentials(url: string): boolean {
  try {
    const u = new URL(url);
    return u.username !== "" || u.password !== "" || u.search !== "";
  } catch {
    return false;
  }
}

/** A URL fit for views, logs and error messages: user, password and query values replaced by `***`. */
export function redactUrl(url: string): string {
  if (!urlHasCredentials(url)) return url;
  const u = new URL(url);
  if (u.username) u.username = "***";
  if (u.password) u.password = "***";
  for (const key of [...u.searchParams.keys()]) u.searchParams.set(key, "***");
  return u.toString().replace(/%2A%2A%2A/g, "***");
}

/** Splits params into what is stored plainly and what is sealed. `api_key` is sealed on its own column. */
export function splitParams(params: Record<string, unknown>): { plain: Record<string, unknown>; secret: Record<string, unknown> } {
  const plain: Record<string, unknown> = {};
  const secret: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    if (key === "api_key") continue;
    const keepPlain = PLAIN_PARAMS.has(key) && !(key === "api_base" && typeof value === "string" && urlHasCredentials(value));
    if (keepPlain) plain[key] = value;
    else secret[key] = value;
  }
  if (typeof secret.api_base === "string") plain.api_base = redactUrl(secret.api_base);
  return { plain, secret };
}
