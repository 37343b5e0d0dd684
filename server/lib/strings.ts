/**
 * Strings from the network, made safe to store and to echo (docs/security.md, "Hostile input").
 * PostgreSQL refuses NUL in `text` and `jsonb` and lone UTF-16 surrogates in `jsonb`; a response
 * header holds only Latin-1. Every input schema builds its strings from the refinements here, so
 * such a string is a 400 naming its field instead of a 500 from the database or from `Headers`.
 */
import { z } from "zod";

/** Longest string a field takes unless its schema says otherwise (ids, names, labels are shorter). */
export const DEFAULT_MAX_CHARS = 10_000;

export const hasNul = (s: string) => s.includes("\u0000");
export const isWellFormed = (s: string) => s.isWellFormed();

/** Why a string cannot be stored as it is, or undefined when it can. */
export function unsafeStringReason(s: string): string | undefined {
  if (hasNul(s)) return "must not contain NUL characters (\\u0000)";
  if (!isWellFormed(s)) return "must be well-formed Unicode (it has a lone UTF-16 surrogate)";
  return undefined;
}

/** C0/C1 control characters: refused in one-line values (names, ids, labels). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * A string field that can be stored: no NUL, well-formed UTF-16, at most `max` characters.
 * `line: true` also refuses control characters (tabs, newlines), for names and ids.
 */
export function safeString(opts: { max?: number; min?: number; line?: boolean; what?: string } = {}) {
  const max = opts.max ?? DEFAULT_MAX_CHARS;
  let s = z
    .string({ error: (i) => (i.input === undefined ? `required${opts.what ? `: ${opts.what}` : ""}` : "must be a string") })
    .max(max, `at most ${max} characters`);
  if (opts.min !== undefined) s = s.min(opts.min, opts.min === 1 ? "must not be empty" : `at least ${opts.min} characters`);
  return s.superRefine((v, ctx) => {
    const reason =
      unsafeStringReason(v) ?? (opts.line && CONTROL.test(v) ? "must not contain control characters (tabs, newlines)" : undefined);
    if (reason) ctx.addIssue({ code: "custom", message: reason, abort: true });
  });
}

/** An id in a path or a body (`agt_…`, a UUID, a name): one printable line of at most `max` characters. */
export const idString = (max = 64) => safeString({ min: 1, max, line: true });

/**
 * A model name as callers send it (`gpt-4o`, `anthropic/claude-sonnet-4-5`, `openrouter/x:free`):
 * printable ASCII (spaces only inside), because the gateway echoes it in response headers
 * (`x-litellm-model-group`), which hold only Latin-1 and lose surrounding spaces.
 */
export const MODEL_NAME_MAX = 256;
export const modelName = (what = "the model to call") =>
  z
    .string({ error: (i) => (i.input === undefined ? `required: ${what}` : "must be a string") })
    .min(1, "must not be empty")
    .max(MODEL_NAME_MAX, `at most ${MODEL_NAME_MAX} characters`)
    .regex(
      /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/,
      "must be printable ASCII, without leading or trailing spaces (a model name such as gpt-4o or anthropic/claude-sonnet-4-5)",
    );

/**
 * A value for a response header: visible ASCII and spaces pass; anything else (non-Latin-1, control
 * characters, CR/LF) is percent-encoded, so a stored or configured name can never break `new Headers`.
 */
export function headerSafe(value: string, max = 1024): string {
  const clipped = value.length > max ? value.slice(0, max) : value;
  if (/^[\x20-\x7e]*$/.test(clipped)) return clipped;
  let out = "";
  for (const ch of clipped.toWellFormed()) {
    const code = ch.codePointAt(0)!;
    out += code >= 0x20 && code <= 0x7e && ch !== "%" ? ch : encodeURIComponent(ch);
  }
  return out;
}

/**
 * A string made storable without refusing it (for rows written off the request path, like spend
 * logs, where one bad row must not poison a batch): NUL and lone surrogates become U+FFFD, and
 * the result is cut to `max` characters.
 */
export function storableText(value: string, max = DEFAULT_MAX_CHARS): string {
  const clipped = value.length > max ? value.slice(0, max) : value;
  return (hasNul(clipped) ? clipped.replaceAll("\u0000", "\ufffd") : clipped).toWellFormed();
}

/**
 * JSON text (as JSON.stringify writes it) made storable in `jsonb`: the escapes `\u0000` and lone
 * surrogate escapes become `\ufffd`. Linear; escapes are read as escapes, so `\\u0000` (a literal
 * backslash and text) is left alone.
 */
export function storableJsonText(text: string): string {
  if (!/\\u(0000|d[89a-f])/i.test(text)) return text;
  let out = "";
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) !== 92) continue;
    if (text[i + 1] !== "u") {
      i++;
      continue;
    }
    const code = Number.parseInt(text.slice(i + 2, i + 6), 16);
    let bad = code === 0;
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.slice(i + 6, i + 8) === "\\u" ? Number.parseInt(text.slice(i + 8, i + 12), 16) : -1;
      if (next >= 0xdc00 && next <= 0xdfff) {
        i += 11;
        continue;
      }
      bad = true;
    } else if (code >= 0xdc00 && code <= 0xdfff) bad = true;
    if (bad) {
      out += `${text.slice(last, i)}\\ufffd`;
      last = i + 6;
    }
    i += 5;
  }
  return out + text.slice(last);
}
