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
