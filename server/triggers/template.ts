/**
 * Prompt templates for webhook triggers: `{{body.issue.title}}`, `{{body.items[0].id}}`, or
 * `{{body}}` for the whole JSON. Only own properties of the parsed JSON are read (no prototype,
 * no functions called, no expressions): a template can print parts of the body and nothing else.
 * Not Mustache or Handlebars: both resolve names through the prototype chain and call functions
 * they find, which a body-driven template must never do. Sizes are capped (docs/schedules.md).
 */
export const MAX_TEMPLATE_CHARS = 20_000;
export const MAX_PLACEHOLDERS = 100;
export const MAX_VALUE_CHARS = 8_000;
export const MAX_PROMPT_CHARS = 100_000;

const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;
const PATH = /^body(?:\.[A-Za-z0-9_-]{1,100}|\[\d{1,6}\])*$/;
const SEGMENT = /\.([A-Za-z0-9_-]{1,100})|\[(\d{1,6})\]/g;

/** What is wrong with a template, or null (400 naming `prompt_template`). */
export function templateProblem(template: string): string | null {
  let count = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    const path = m[1]!.trim();
    if (!PATH.test(path)) return `{{${m[1]}}} is not a placeholder: use {{body}}, {{body.field.sub}} or {{body.items[0]}}`;
    if (++count > MAX_PLACEHOLDERS) return `at most ${MAX_PLACEHOLDERS} placeholders`;
  }
  const rest = template.replace(PLACEHOLDER, "");
  if (rest.includes("{{") || rest.includes("}}")) return "has an unclosed {{ or a stray }}";
  return null;
}

function lookup(body: unknown, path: string): unknown {
  let current: unknown = body;
  for (const m of path.slice("body".length).matchAll(SEGMENT)) {
    if (m[2] !== undefined) {
      current = Array.isArray(current) ? current[Number(m[2])] : undefined;
    } else if (current !== null && typeof current === "object" && !Array.isArray(current) && Object.hasOwn(current, m[1]!)) {
      current = (current as Record<string, unknown>)[m[1]!];
    } else {
      return undefined;
    }
  }
  return current;
}

function printable(value: unknown): string {
  if (value === undefined || value === null) return "";
  const text = typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}… [truncated]` : text;
}

export type Rendered = { ok: true; prompt: string } | { ok: false; message: string };

/** The prompt for a parsed JSON body; a missing field prints as nothing. */
export function renderTemplate(template: string, body: unknown): Rendered {
  const prompt = template.replace(PLACEHOLDER, (_, path: string) => printable(lookup(body, path.trim())));
  if (!prompt.trim()) return { ok: false, message: "the template gave an empty prompt for this body" };
  if (prompt.length > MAX_PROMPT_CHARS)
    return { ok: false, message: `the prompt for this body is ${prompt.length} characters; the limit is ${MAX_PROMPT_CHARS}` };
  return { ok: true, prompt };
}
