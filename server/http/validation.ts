/**
 * Input validation with a bounded cost (docs/security.md, "Hostile input").
 *
 * Elysia validates a route's zod schemas through their Standard Schema `validate`, and on failure
 * builds a `ValidationError` whose message is `JSON.stringify(body, null, 2)` plus every issue:
 * quadratic in the nesting depth and linear in the issue count, so one hostile body froze LAP for
 * seconds. `installInputValidation` gives every input schema of the built app (body, query, params,
 * headers) its own `validate` instead, which
 * - refuses a NUL character or a lone UTF-16 surrogate in any string or key (PostgreSQL cannot
 *   store them; see server/lib/strings.ts), naming the field, unless the schema was marked with
 *   `passThroughStrings` (the LLM gateway forwards message content untouched);
 * - stops at the first structural error (zod's abortEarly) and reports at most MAX_FIELDS fields;
 * - throws the 400 ApiError itself, so Elysia never builds its ValidationError for an input.
 */
import type { AnyElysia } from "elysia";
import { z } from "zod";
import { ApiError, type FieldError } from "../lib/errors";
import { unsafeStringReason } from "../lib/strings";

export const MAX_FIELDS = 20;
const INPUTS = ["body", "query", "params", "headers"] as const;
type InputKind = (typeof INPUTS)[number];

const passThrough = new WeakSet<object>();
const installed = new WeakSet<object>();

/** Marks a schema whose free-form strings go to an upstream as they are (never stored as given). */
export function passThroughStrings<T extends z.ZodType>(schema: T): T {
  passThrough.add(schema);
  return schema;
}

const rootName = (where: InputKind) => (where === "body" ? "(body)" : `(${where})`);
const fieldOf = (path: readonly PropertyKey[], where: InputKind) =>
  path.length === 0 ? rootName(where) : path.map((p) => (typeof p === "symbol" ? p.toString() : String(p))).join(".");

/**
 * Scans an input once: the first string (value or key) that cannot be stored, with its path, and
 * how many values the input holds (which decides how much validation may report). Linear and
 * allocation-free until it finds one; the recursion is bounded by the parser's depth limit.
 */
export function scanInput(value: unknown): { unsafe?: { path: (string | number)[]; reason: string }; values: number } {
  const path: (string | number)[] = [];
  let values = 1;
  const walk = (v: unknown): string | undefined => {
    if (typeof v === "string") return unsafeStringReason(v);
    if (!v || typeof v !== "object" || path.length > 1000) return undefined;
    if (Array.isArray(v)) {
      values += v.length;
      for (let i = 0; i < v.length; i++) {
        const item = v[i];
        if (typeof item === "number" || typeof item === "boolean" || item === null) continue;
        path.push(i);
        const reason = walk(item);
        if (reason) return reason;
        path.pop();
      }
      return undefined;
    }
    for (const key in v) {
      if (!Object.hasOwn(v, key)) continue;
      values++;
      path.push(key);
      const keyReason = unsafeStringReason(key);
      if (keyReason) {
        path[path.length - 1] = key.toWellFormed().replaceAll("\u0000", "\\u0000");
        return `key ${keyReason}`;
      }
      const reason = walk((v as Record<string, unknown>)[key]);
      if (reason) return reason;
      path.pop();
    }
    return undefined;
  };
  const reason = walk(value);
  return reason ? { unsafe: { path, reason }, values } : { values };
}

/** Up to this many values, validation reports every failing field (capped at MAX_FIELDS); above it, the first. */
export const FULL_REPORT_MAX_VALUES = 10_000;

interface Issue {
  code?: string;
  path?: readonly PropertyKey[];
  message: string;
  keys?: string[];
}

export function fieldErrors(issues: readonly Issue[], where: InputKind): FieldError[] {
  const fields: FieldError[] = [];
  for (const issue of issues) {
    const field = fieldOf(issue.path ?? [], where);
    // An unknown key is named itself, not the object that holds it.
    if (issue.code === "unrecognized_keys" && issue.keys?.length) {
      const parent = issue.path?.length ? `${field}.` : "";
      for (const key of issue.keys) fields.push({ field: `${parent}${key}`, message: "unknown field" });
    } else fields.push({ field, message: issue.message });
    if (fields.length >= MAX_FIELDS) break;
  }
  return fields.slice(0, MAX_FIELDS);
}

export function invalidInput(fields: FieldError[], where: InputKind): ApiError {
  const summary = fields.map((f) => `${f.field}: ${f.message}`).join("; ");
  return new ApiError(400, "invalid_request", `Invalid ${where}: ${summary}`, fields);
}

type Result = { value: unknown } | { issues: readonly Issue[] };

/** Validates one input; returns the parsed value or throws the 400. */
export function validateInput(schema: z.ZodType, value: unknown, where: InputKind): Result | Promise<Result> {
  // A forwarded body is not walked (the LLM gateway's hot path); it always validates abort-early.
  let small = false;
  if (!passThrough.has(schema)) {
    const scan = scanInput(value);
    if (scan.unsafe) throw invalidInput([{ field: fieldOf(scan.unsafe.path, where), message: scan.unsafe.reason }], where);
    small = scan.values <= FULL_REPORT_MAX_VALUES;
  }
  // abortEarly is zod's own switch (used by its `validate`): stop at the first issue that ends parsing,
  // so a large input with many bad items costs one issue. A small input gets every failing field.
  const ctx = (small ? undefined : { abortEarly: true }) as z.core.ParseContext<z.core.$ZodIssue> | undefined;
  const settle = (r: z.ZodSafeParseResult<unknown>): Result => {
    if (r.success) return { value: r.data };
    throw invalidInput(fieldErrors(r.error.issues as Issue[], where), where);
  };
  try {
    return settle(schema.safeParse(value, ctx));
  } catch (err) {
    // A schema with an async refinement cannot run synchronously.
    if (err instanceof z.core.$ZodAsyncError) return schema.safeParseAsync(value, ctx).then(settle);
    throw err;
  }
}

const isZod = (s: unknown): s is z.ZodType => !!s && typeof s === "object" && "_zod" in s && "~standard" in s;

/**
 * Installs the bounded validator on every input schema of every route. Run once on the built app,
 * before it serves (Elysia reads `~standard` when it compiles a route, on its first request).
 * Returns the routes' schemas it did not recognise as zod (none, today; a test asserts it).
 */
export function installInputValidation(app: AnyElysia): string[] {
  const unknown: string[] = [];
  for (const route of app.routes) {
    const hooks = route.hooks as Partial<Record<InputKind, unknown>>;
    for (const where of INPUTS) {
      const schema = hooks[where];
      if (!schema) continue;
      if (!isZod(schema)) {
        unknown.push(`${route.method} ${route.path} ${where}`);
        continue;
      }
      if (installed.has(schema)) continue;
      installed.add(schema);
      // zod's own hook for wrappers: an own `~standard` replaces the lazily built default. Everything
      // else on it (vendor, the JSON Schema the OpenAPI document is built from) is kept.
      const standard = schema["~standard"];
      (schema as { "~standard": unknown })["~standard"] = {
        ...standard,
        validate: (input: unknown) => validateInput(schema, input, where),
      };
    }
  }
  return unknown;
}

/** True when the route's input schemas validate through `validateInput` (for the route-table tests). */
export const hasBoundedValidation = (schema: unknown) => installed.has(schema as object);
