import { AUDIT_REDACTED_FIELDS } from "../../schema/audit";

/** What a redacted value shows: that something was there (or changed), never what. */
export const REDACTED = "[redacted]";

/** Fields a change never lists: bookkeeping every write touches. */
const NOISE = new Set(["updatedAt", "createdAt", "lastUsedAt"]);

const camel = (k: string) => k.replace(/[-_]([a-z])/g, (_m, c: string) => c.toUpperCase());
/** Nested keys (request bodies, upstream parameters, headers) that name a secret, however spelled. */
const SECRETISH = /(^|[_-])(api[_-]?key|secret|token|password|authorization|cookie|credential|private[_-]?key)s?$/i;

/** Whether a field's value is a secret (schema/audit.ts AUDIT_REDACTED_FIELDS, or a secret-named nested key). */
export function isSecretField(name: string): boolean {
  return AUDIT_REDACTED_FIELDS.has(name) || AUDIT_REDACTED_FIELDS.has(camel(name)) || SECRETISH.test(name);
}

/** A value with every secret inside it replaced (objects walked to a bounded depth). */
export function redactValue(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (value instanceof Date) return value.toISOString();
  if (depth > 6) return "[…]";
  if (Array.isArray(value)) return value.slice(0, 200).map((v) => redactValue(v, depth + 1));
  if (typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      out[k] = isSecretField(k) && v != null ? REDACTED : redactValue(v, depth + 1);
    return out;
  }
  if (typeof value === "string" && value.length > 2000) return `${value.slice(0, 2000)}…`;
  return value;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * The changed fields between two versions of a row: `{ field: { before, after } }`. A created object
 * has `before` null, a deleted one `after` null; a secret field shows "[redacted]" on each side that
 * had a value, so the trail says a secret changed without saying what it was or became.
 */
export function changesOf(
  before: object | null | undefined,
  after: object | null | undefined,
): Record<string, { before: unknown; after: unknown }> {
  const b = (before ?? {}) as Record<string, unknown>;
  const a = (after ?? {}) as Record<string, unknown>;
  const out: Record<string, { before: unknown; after: unknown }> = {};
  for (const field of new Set([...Object.keys(b), ...Object.keys(a)])) {
    if (NOISE.has(field)) continue;
    const was = before ? (b[field] ?? null) : null;
    const now = after ? (a[field] ?? null) : null;
    if (same(was instanceof Date ? was.toISOString() : was, now instanceof Date ? now.toISOString() : now)) continue;
    if (isSecretField(field)) out[field] = { before: was == null ? null : REDACTED, after: now == null ? null : REDACTED };
    else out[field] = { before: redactValue(was), after: redactValue(now) };
  }
  return out;
}
