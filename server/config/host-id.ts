/**
 * The identity of the machine this LAP runs on, for host sandboxes (local, process): several replicas
 * on one database must each claim, count and recover only the sandboxes living on their own machine.
 * LAP_HOST_ID when set; otherwise an id generated once into LAP_DATA_DIR/host-id (so it survives restarts,
 * and two machines with their own data dirs never share one).
 */
import { randomBytes } from "node:crypto";
import { existsSync, linkSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const HOST_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
export const HOST_ID_RULE = "must be 1-63 characters: letters, digits, '.', '_' or '-', starting with a letter or digit";

export const HOST_ID_FILE = "host-id";

/** The configured id, else the one kept in the data dir (created on first use). */
export function resolveHostId(dataDir: string, configured?: string): string {
  if (configured) return configured;
  const path = join(dataDir, HOST_ID_FILE);
  if (existsSync(path)) {
    const kept = readFileSync(path, "utf8").trim();
    if (!HOST_ID_PATTERN.test(kept))
      throw new HostIdFileError(`${path} does not hold a valid host id (${HOST_ID_RULE}); delete it to get a new one, or set LAP_HOST_ID`);
    return kept;
  }
  const made = `host_${randomBytes(8).toString("hex")}`;
  // Written aside and linked into place (link fails if the name exists): two processes starting on one
  // data dir at once both end up with the id that won, and neither reads a half-written file.
  const aside = `${path}.${process.pid}.${randomBytes(4).toString("hex")}`;
  writeFileSync(aside, `${made}\n`, { mode: 0o644 });
  try {
    linkSync(aside, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    return resolveHostId(dataDir);
  } finally {
    rmSync(aside, { force: true });
  }
  return made;
}

export class HostIdFileError extends Error {}
