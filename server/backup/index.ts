import { Elysia } from "elysia";
import { Readable } from "node:stream";
import { createGzip } from "node:zlib";
import type { AuditPort } from "../audit/record";
import type { Database } from "../db/client";
import { requireAdmin, type AuthGuard } from "../http/auth-guard";
import type { Logger } from "../lib/logger";
import { dumpDatabase } from "./dump";

/**
 * `GET /api/admin/backup`: a consistent backup taken by the LAP that holds the database. `lap backup`
 * uses it for an embedded database while LAP runs (only the process holding PGlite may read it), and
 * any admin may download one. Admin only; recorded in the audit trail (a backup holds sealed secrets).
 */
export function backupRoutes(deps: { database: Database; encryptionKey: Buffer; guard: AuthGuard; audit: AuditPort; logger: Logger }) {
  return new Elysia({ prefix: "/api/admin", detail: { tags: ["Backup"] } })
    .use(deps.guard)
    .onTransform(requireAdmin)
    .get(
      "/backup",
      async ({ principal }) => {
        await deps.audit.record(deps.database.db, {
          actor: principal,
          action: "backup.download",
          objectType: "database",
          detail: { mode: deps.database.mode },
        });
        const gzip = createGzip();
        const ended = () => new Error("the backup download ended before the dump did");
        // Waits for the reader (backpressure); a reader that goes away ends the dump's transaction.
        const write = (line: string) =>
          new Promise<void>((resolve, reject) => {
            if (gzip.destroyed) return reject(ended());
            if (gzip.write(`${line}\n`)) return resolve();
            const drained = () => {
              gzip.off("close", closed);
              resolve();
            };
            const closed = () => {
              gzip.off("drain", drained);
              reject(ended());
            };
            gzip.once("drain", drained);
            gzip.once("close", closed);
          });
        void dumpDatabase(deps.database, { encryptionKey: deps.encryptionKey, write }).then(
          () => gzip.end(),
          (err: Error) => {
            deps.logger.warn({ err: err.message }, "backup download failed");
            gzip.destroy(err);
          },
        );
        return new Response(Readable.toWeb(gzip) as unknown as BodyInit, {
          headers: {
            "content-type": "application/gzip",
            "content-disposition": `attachment; filename="lap-backup-${new Date().toISOString().replace(/[:.]/g, "-")}.jsonl.gz"`,
            "cache-control": "no-store",
          },
        });
      },
      {
        detail: {
          summary: "Download a consistent backup of the whole database (gzip'd lines; secrets stay sealed). `lap restore` reads it.",
        },
      },
    );
}
