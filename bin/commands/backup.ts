/**
 * `lap backup` and `lap restore` (docs/operations.md "Backup and restore"), for PostgreSQL
 * (DATABASE_URL) and embedded PGlite. An embedded database held by a running LAP is read by that LAP
 * (GET /api/admin/backup): a second process must not open PGlite's files under a live writer.
 */
import { Command } from "commander";
import { createReadStream, createWriteStream, existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { dumpDatabase, type Progress } from "../../server/backup/dump";
import { backupLines, RestoreRefused, restoreDatabase } from "../../server/backup/restore";
import type { Config } from "../../server/config/load";
import { openDatabase } from "../../server/db/open";
import { localLapUrl } from "./doctor-database";
import { configOrExit } from "./shared";

/** The pid of a live LAP holding the embedded database, or null (external database, or none running). */
function embeddedHolder(config: Config): number | null {
  if (config.env.DATABASE_URL) return null;
  const file = join(config.dataDir, "pgdata.pid");
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, "utf8"));
  if (!pid || pid === process.pid) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

/** Progress on stderr, one line per table (long tables update in place on a terminal). */
function progress(): Progress {
  let last = "";
  return (table, done, total) => {
    const line = `  ${table}: ${done}/${total} rows`;
    if (process.stderr.isTTY) process.stderr.write(`\r${line}${done === total ? "\n" : ""}`);
    else if (done === total && line !== last) process.stderr.write(`${line}\n`);
    last = line;
  };
}

const defaultName = () => `lap-backup-${new Date().toISOString().replace(/[:.]/g, "-")}.jsonl.gz`;

export function backupCommand() {
  return new Command("backup")
    .description(
      "Write a consistent backup of the whole database (agents, sessions and their events, keys, vault, MCP servers, audit trail; secrets stay sealed)",
    )
    .option("-o, --out <file>", "where to write it (default: lap-backup-<time>.jsonl.gz here)")
    .action(async (opts: { out?: string }) => {
      const config = configOrExit();
      const out = opts.out ?? defaultName();
      const partial = `${out}.partial`;
      const holder = embeddedHolder(config);
      try {
        if (holder) {
          // The running LAP takes the snapshot: only the process holding PGlite may read it.
          const url = `${localLapUrl(config, process.env)}/api/admin/backup`;
          console.error(`LAP (pid ${holder}) holds the embedded database: asking it for the backup at ${url}`);
          const res = await fetch(url, { headers: { authorization: `Bearer ${config.masterKey}` } }).catch((err: Error) => {
            throw new Error(
              `could not reach it (${err.message}). Set LAP_URL to where that LAP listens, or stop it and run lap backup again.`,
            );
          });
          if (!res.ok || !res.body) throw new Error(`it answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
          let bytes = 0;
          const counted = Readable.fromWeb(res.body as unknown as import("node:stream/web").ReadableStream).on("data", (c: Buffer) => {
            bytes += c.length;
            if (process.stderr.isTTY) process.stderr.write(`\r  ${(bytes / 1e6).toFixed(1)} MB`);
          });
          await pipeline(counted, createWriteStream(partial));
          if (process.stderr.isTTY) process.stderr.write("\n");
        } else {
          const database = await openDatabase(config);
          try {
            const gzip = createGzip();
            const file = pipeline(gzip, createWriteStream(partial));
            const write = (line: string) => (gzip.write(`${line}\n`) ? undefined : new Promise<void>((r) => gzip.once("drain", () => r())));
            const { tables } = await dumpDatabase(database, { encryptionKey: config.encryptionKey, write, onProgress: progress() });
            gzip.end();
            await file;
            console.error(`  ${Object.values(tables).reduce((a, b) => a + b, 0)} rows in ${Object.keys(tables).length} tables`);
          } finally {
            await database.close();
          }
        }
        renameSync(partial, out);
        console.log(`Backup written to ${out}. It holds sealed secrets: keep it as safe as the ENCRYPTION_KEY, and apart from it.`);
      } catch (err) {
        rmSync(partial, { force: true });
        console.error(`lap backup failed: ${(err as Error).message}`);
        process.exit(1);
      }
    });
}

export function restoreCommand() {
  return new Command("restore")
    .description(
      "Restore a backup made by `lap backup` into this LAP's database (stop LAP first); refuses another schema version or ENCRYPTION_KEY",
    )
    .argument("<file>", "the backup file")
    .option("--replace", "replace what the database holds (default: refuse unless it is empty)")
    .action(async (file: string, opts: { replace?: boolean }) => {
      const config = configOrExit();
      if (!existsSync(file)) {
        console.error(`lap restore: no file ${file}`);
        process.exit(1);
      }
      const holder = embeddedHolder(config);
      if (holder) {
        console.error(
          `lap restore: LAP (pid ${holder}) is running on ${config.dataDir}. Restore replaces the whole database: stop that LAP, run lap restore again, then start it. Nothing was changed.`,
        );
        process.exit(1);
      }
      const database = await openDatabase(config);
      try {
        const { tables } = await restoreDatabase(database, backupLines(createReadStream(file)), {
          encryptionKey: config.encryptionKey,
          replace: opts.replace,
          onProgress: progress(),
        });
        console.log(
          `Restored ${Object.values(tables).reduce((a, b) => a + b, 0)} rows in ${Object.keys(tables).length} tables from ${file} (${database.mode} database).`,
        );
      } catch (err) {
        console.error(
          err instanceof RestoreRefused
            ? `lap restore: ${err.message}`
            : `lap restore failed, nothing was changed: ${(err as Error).message}`,
        );
        process.exitCode = 1;
      } finally {
        await database.close();
      }
    });
}
