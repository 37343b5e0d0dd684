import type { SecretBox } from "../../server/lib/crypto";

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

/** Longest value a user may give a per-user variable (docs/mcp.md). */
export const USER_VALUE_MAX = 4096;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** What makes a user's value unusable anywhere (NUL, line breaks, other control characters, length), or undefined. */
export function userValueProblem(value: string): string | undefined {
  if (value.length > USER_VALUE_MAX) return `is longer than ${USER_VALUE_MAX} characters`;
  if (CONTROL.test(value)) return "holds a control character (NUL, a line break, a tab...)";
  return undefined;
}

/** Every user value the caller brought for `userNames` passes `userValueProblem`; else UserValueError naming the variable. */
export function checkUserValues(vars: Record<string, string>, userNames: Set<string>) {
  for (const name of userNames) {
    const v = vars[name];
    const problem = v === undefined ? undefined : userValueProblem(v);
    if (problem) throw new UserValueError(name, problem);
  }
}

const placeholders = (text: string) => [...text.matchAll(PLACEHOLDER)].map((m) => m[1]!);

/**
 * A stdio server's arguments for a caller. A user's value is data, never an option: an argument
 * that the user's value makes start with `-` (where the admin's template does not) is refused,
 * so `${DB}` given `--config=/etc/x` or `-e code` cannot turn into a flag of the admin's command.
 * A value after the admin's own option (`--db=${DB}`) stays that option's value. (Values were
 * checked by `checkUserValues`; no shell ever parses the arguments.)
 */
export function substituteArgs(args: string[], vars: Record<string, string>, userNames: Set<string>): string[] {
  return args.map((template, i) => {
    const final = substitute(template, vars);
    const users = placeholders(template).filter((n) => userNames.has(n));
    if (users.length && final.startsWith("-")) {
      const admins = template.replace(PLACEHOLDER, (_, name: string) => (userNames.has(name) ? "x" : (vars[name] ?? "")));
      if (!admins.startsWith("-"))
        throw new UserValueError(
          users[0]!,
          `would make argument ${i + 1} an option (it starts with "-"); a per-user value is data, not an option`,
        );
    }
    return final;
  });
}

/** Commands whose arguments are code: a per-user variable there would be code the user writes. */
const SHELL = /^(sh|bash|dash|zsh|ksh|mksh|ash|busybox|fish|csh|tcsh)$/;
const INTERPRETER = /^(node|nodejs|bun|deno|python[0-9.]*|pypy[0-9.]*|perl|ruby|php|lua[0-9.]*|Rscript)$/;
const CODE_FLAGS = new Set(["-c", "-e", "--eval", "-p", "--print", "-E"]);

/**
 * Per-user variables in a stdio template's arguments that would be code: any argument of a shell,
 * and an interpreter's code argument (after `-c`, `-e`, `--eval`, `-p`, or `--eval=${X}`). They must
 * go through `env` instead (the script reads "$NAME"). The offending arguments, by index.
 */
export function userVariablesInCode(
  command: string,
  args: string[],
  userNames: Iterable<string>,
): Array<{ index: number; names: string[] }> {
  const names = [...userNames];
  const base = command.split("/").pop() ?? "";
  const shell = SHELL.test(base);
  const interpreter = INTERPRETER.test(base);
  const out: Array<{ index: number; names: string[] }> = [];
  args.forEach((arg, i) => {
    const used = names.filter((n) => arg.includes(`\${${n}}`));
    if (!used.length) return;
    const flag = /^(--?[A-Za-z-]+)=/.exec(arg)?.[1];
    if (shell || (interpreter && (CODE_FLAGS.has(args[i - 1] ?? "") || (flag !== undefined && CODE_FLAGS.has(flag)))))
      out.push({ index: i, names: used });
  });
  return out;
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
  if (originOf(final) === null || originOf(final) !== originOf(admins))
    throw new VariableOriginError(userVariablesInOrigin(template, userNames));
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
    super(
      `the server's URL puts per-user variable${variables.length === 1 ? "" : "s"} ${variables.join(", ") || "(unknown)"} in its scheme, host or port; LAP does not send the server's credentials to an address a user chooses (an admin must move it into the path or query)`,
    );
  }
}

/** A user's value that LAP will not use where the template puts it; nothing is started or sent. */
export class UserValueError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(
      `your value for per-user variable ${variable} ${reason}; change it in your MCP credentials (PUT /api/mcp/servers/:id/credentials)`,
    );
  }
}

export class MissingVariableError extends Error {
  constructor(readonly variable: string) {
    super(`variable ${variable} has no value: set it on the server (instance) or in your MCP credentials (per user)`);
  }
}
