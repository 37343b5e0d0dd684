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

export class MissingVariableError extends Error {
  constructor(readonly variable: string) {
    super(`variable ${variable} has no value: set it on the server (instance) or in your MCP credentials (per user)`);
  }
}
