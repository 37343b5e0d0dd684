/**
 * Postgres constraint violations as API errors. Both drivers surface the SQLSTATE, but Drizzle may
 * wrap the driver's error, so the code is looked up on the error and on its cause.
 */
import { conflict } from "./errors";

const UNIQUE_VIOLATION = "23505";
const FOREIGN_KEY_VIOLATION = "23503";

export function pgErrorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null | undefined;
  const code = e?.code ?? e?.cause?.code;
  return typeof code === "string" ? code : undefined;
}

export const isUniqueViolation = (err: unknown) => pgErrorCode(err) === UNIQUE_VIOLATION;
export const isForeignKeyViolation = (err: unknown) => pgErrorCode(err) === FOREIGN_KEY_VIOLATION;

/**
 * Runs a write and turns a unique or foreign-key violation into a 409 with the given message;
 * any other error passes through untouched.
 */
export async function withConstraintConflicts<T>(write: () => Promise<T>, messages: { unique?: string; foreignKey?: string }): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (messages.unique && isUniqueViolation(err)) throw conflict(messages.unique);
    if (messages.foreignKey && isForeignKeyViolation(err)) throw conflict(messages.foreignKey);
    throw err;
  }
}

/**
 * Data the database refused: SQLSTATE class 22 (data exception: a value too long, a NUL byte, an
 * invalid surrogate, a number out of range) and 54000 (a value too large for an index). Input
 * validation refuses these first, naming the field (server/lib/strings.ts); this is the last line
 * of defence, so such a request is a 400 and never a 500.
 */
const DATA_ERRORS: Record<string, string> = {
  "22001": "a value is longer than the database allows",
  "22003": "a number is out of range",
  "22007": "a date or time is not valid",
  "22008": "a date or time is out of range",
  "22021": "a value holds a character the database cannot store (NUL or invalid UTF-8)",
  "22P02": "a value has the wrong form for its field",
  "22P05": "a value holds a character the database cannot store (NUL or a lone surrogate)",
  "54000": "a value is too large for the database to index",
};

export function dataErrorMessage(err: unknown): string | undefined {
  const code = pgErrorCode(err);
  if (!code || !(code.startsWith("22") || code === "54000")) return undefined;
  return DATA_ERRORS[code] ?? "a value cannot be stored";
}

/** The column a data error names, when the driver reports it (PostgreSQL does for some errors). */
export function dataErrorColumn(err: unknown): string | undefined {
  const e = err as { column?: unknown; column_name?: unknown; cause?: { column?: unknown; column_name?: unknown } } | null | undefined;
  const column = e?.column ?? e?.column_name ?? e?.cause?.column ?? e?.cause?.column_name;
  return typeof column === "string" && column ? column : undefined;
}
