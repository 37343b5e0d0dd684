/**
 * A skill from a zip upload (docs/skills.md, docs/security.md "Skills and rules"). The archive is
 * hostile input: its central directory is read first (entry count, encryption, symlinks, zip64
 * refused), then fflate's streaming Unzip expands it in small pieces while the uncompressed total is
 * counted, so a zip bomb stops at the cap instead of filling memory. Entry names go through the same
 * path check as every skill file (no absolute paths, no `..`).
 */
import { Unzip, UnzipInflate, UnzipPassThrough } from "fflate";
import { badRequest } from "../lib/errors";
import { bundleFromEntries, pathProblem, SKILL_LIMITS, type SkillBundle } from "./bundle";

const FIELD = "zip_base64";
/** Entries a skill zip may list (files plus their folders). */
const MAX_ENTRIES = SKILL_LIMITS.files * 4;
/** Compressed bytes handed to the inflater at a time: bounds what one step can expand to. */
const CHUNK = 16 * 1024;

const fail = (message: string): never => {
  throw badRequest(`${FIELD}: ${message}`, [{ field: FIELD, message }]);
};

interface CentralEntry {
  name: string;
  symlink: boolean;
}

/** The central directory's entries, refusing what LAP does not take (encrypted, zip64, symlinks, too many). */
function centralDirectory(zip: Uint8Array): Map<string, CentralEntry> {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail("not a zip archive (no end of central directory)");
  const count = view.getUint16(eocd + 10, true);
  const offset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || offset === 0xffffffff) fail("zip64 archives are not accepted");
  if (count > MAX_ENTRIES) fail(`${count} entries; at most ${MAX_ENTRIES}`);
  const entries = new Map<string, CentralEntry>();
  let p = offset;
  const decoder = new TextDecoder();
  for (let n = 0; n < count; n++) {
    if (p + 46 > zip.length || view.getUint32(p, true) !== 0x02014b50) fail("the central directory is damaged");
    const madeBy = view.getUint16(p + 4, true);
    const flags = view.getUint16(p + 8, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    const mode = view.getUint32(p + 38, true) >>> 16;
    const name = decoder.decode(zip.subarray(p + 46, p + 46 + nameLen));
    if (flags & 1) fail(`${name} is encrypted`);
    const symlink = madeBy >> 8 === 3 && (mode & 0o170000) === 0o120000;
    if (symlink) fail(`${name} is a symbolic link; skills hold regular files only`);
    entries.set(name, { name, symlink });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** The skill in a zip: SKILL.md at the top or in its one folder, plus files, all within the limits. */
export function skillFromZip(zip: Uint8Array): SkillBundle {
  const central = centralDirectory(zip);
  const files = new Map<string, Uint8Array>();
  let total = 0;
  let error: unknown = null;
  const unzip = new Unzip((file) => {
    const name = file.name;
    if (!central.has(name)) fail(`entry ${JSON.stringify(name.slice(0, 100))} is not in the central directory`);
    if (name.endsWith("/") || name.startsWith("__MACOSX/")) return; // folders and macOS resource forks carry nothing
    const problem = pathProblem(name.endsWith("SKILL.md") ? name.replace(/SKILL\.md$/, "x") : name);
    if (problem) fail(`entry ${JSON.stringify(name.slice(0, 100))} ${problem}`);
    if (files.has(name)) fail(`entry ${name} appears twice`);
    if (files.size >= SKILL_LIMITS.files + 1) fail(`more than ${SKILL_LIMITS.files} files`);
    const parts: Uint8Array[] = [];
    file.ondata = (err, chunk, final) => {
      if (error) return;
      if (err) {
        error = badRequest(`${FIELD}: ${name} could not be expanded (${err.message})`, [
          { field: FIELD, message: `${name} could not be expanded` },
        ]);
        return;
      }
      total += chunk.length;
      if (total > SKILL_LIMITS.totalBytes) {
        error = badRequest(`${FIELD}: expands to more than ${SKILL_LIMITS.totalBytes} bytes`, [
          { field: FIELD, message: `expands to more than ${SKILL_LIMITS.totalBytes} bytes` },
        ]);
        file.terminate();
        return;
      }
      parts.push(chunk);
      if (final) files.set(name, Buffer.concat(parts));
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  unzip.register(UnzipPassThrough);
  for (let i = 0; i < zip.length && !error; i += CHUNK) unzip.push(zip.subarray(i, i + CHUNK), i + CHUNK >= zip.length);
  if (error) throw error;
  if (!files.size) fail("the archive holds no files");
  return bundleFromEntries(files, FIELD);
}
