import type { SecretBox } from "../../lib/crypto";

/** Everything secret about one registered server, sealed as one JSON document. */
export interface ServerSecrets {
  env?: Record<string, string>;
  headers?: Record<string, string>;
  token?: string;
  key?: string;
  username?: string;
  password?: string;
  clientSecret?: string;
  variables?: Record<string, string>;
}

/** A user's own credentials for one server (personal key, per-user variables, OAuth tokens). */
export interface UserSecrets {
  credential?: string;
  variables?: Record<string, string>;
  /** Stored exactly as the SDK's OAuth client saved them (they carry the issuer they are bound to). */
  oauth?: {
    client?: Record<string, unknown>;
    tokens?: Record<string, unknown> & { access_token: string; refresh_token?: string };
    /** Epoch ms when the access token expires (from expires_in at save time). */
    expiresAt?: number;
  };
}

export function seal(box: SecretBox, value: object): string {
  return box.encrypt(JSON.stringify(value));
}

export function unseal<T>(box: SecretBox, sealed: string | null | undefined): T {
  if (!sealed) return {} as T;
  return JSON.parse(box.decrypt(sealed)) as T;
}

const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Replaces `${NAME}` with the variable's value; an unknown name is an error, never silently empty. */
export function substitute(text: string, vars: Record<string, string>): string {
  return text.replace(PLACEHOLDER, (_, name: string) => {
    const value = vars[name];
    if (value === undefined) throw new MissingVariableError(name);
    return value;
  });
}

/** The scheme and authority of a URL template (`https://${X}.example.com` → `https://${X}.example.com`). */
const ORIGIN_PART = /^[^/?#]*?:\/\/[^/?#]*/;

/** The user-scoped variables a URL template puts into its scheme, host or port (they may not: item 7 of docs/security.md). */
export function userVariablesInOrigin(template: string, userNames: Iterable<string>): string[] {
  const origin = ORIGIN_PART.exec(template)?.[0] ?? template;
  return [...userNames].filter((n) => origin.includes(`\${${n}}`));
}

/**
 * The upstream URL for a caller. Instance variables (the admin's) are substituted as they are;
 * user variables are percent-encoded, so they can only ever be part of a path or query, and the
 * result must have the same scheme, host and port as the template with the admin's values: a
 * user's value never moves the server's credentials to another origin.
 */
export function substituteUrl(template: string, vars: Record<string, string>, userNames: Set<string>): string {
  const value = (name: string) => {
    const v = vars[name];
    if (v === undefined) throw new MissingVariableError(name);
    return v;
  };
  const admins = template.replace(PLACEHOLDER, (_, name: string) => (userNames.has(name) ? "lap-user-value" : value(name)));
  const final = template.replace(PLACEHOLDER, (_, name: string) => (userNames.has(name) ? encodeURIComponent(value(name)) : value(name)));
  if (originOf(final) === null || originOf(final) !== originOf(admins)) throw new VariableOriginError(userVariablesInOrigin(template, userNames));
  return final;
}

const originOf = (url: string) => {
  try {
    const u = new URL(url);
    return u.username || u.password ? `${u.origin} with userinfo` : u.origin;
  } catch {
    return null;
  }
};

/** A user's variable would change where the server's URL points; nothing is sent. */
export class VariableOriginError extends Error {
  constructor(readonly variables: string[]) {
    super(`the server's URL puts per-user variable${variables.length === 1 ? "" : "s"} ${variables.join(", ") || "(unknown)"} in its scheme, host or port; LAP does not send the server's credentials to an address a user chooses (an admin must move it into the path or query)`);
  }
}

export class MissingVariableError extends Error {
  constructor(readonly variable: string) {
    super(`variable ${variable} has no value: set it on the server (instance) or in your MCP credentials (per user)`);
  }
}
