/** Where LAP keeps its data: PostgreSQL, or embedded PGlite. */
import { z } from "zod";
import { describedIn, optionalString } from "./fields";

const { plain, secret } = describedIn("Database");

export const databaseEnv = {
  DATABASE_URL: optionalString
    .pipe(
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, "must start with postgres:// or postgresql://")
        .optional(),
    )
    .meta(
      secret(
        "PostgreSQL connection string (direct, not through a pooler: migrations take an advisory lock). Unset: embedded PGlite in LAP_DATA_DIR.",
      ),
    ),
  LAP_PGLITE_SHARED_BUFFERS: z
    .string()
    .regex(/^[1-9]\d*(kB|MB|GB)$/, "must be a size such as 16MB")
    .default("16MB")
    .meta(
      plain(
        "Embedded PGlite's buffer cache (Postgres `shared_buffers`). PGlite touches all of it at start, so it is resident memory; PostgreSQL's default of 128MB costs ~105 MB more idle (docs/operations.md).",
      ),
    ),
};
