/**
 * File access inside a directory an attacker can change while LAP reads or writes it: a session's
 * workspace, where the agent (or a cloned repository) may put symbolic links, hard links, FIFOs or
 * swap a folder for a link between two calls (docs/security.md "Workspace files").
 *
 * Every path is walked one component at a time from an open descriptor of the root, each component
 * opened with O_NOFOLLOW through `/proc/self/fd/<dir>/<name>` (the kernel resolves the descriptor
 * itself, not a path that could have changed, so this is `openat`): a symbolic link anywhere is
 * refused, never followed. A file is served only when its descriptor is a regular file with one link.
 */
import {
  closeSync,
  constants as C,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  read,
  readdirSync,
  unlinkSync,
  writeSync,
  type Stats,
} from "node:fs";

const DIR_FLAGS = C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW;

export class UnsafePathError extends Error {
  constructor(
    message: string,
    readonly code: "not_found" | "symlink" | "not_file" | "not_dir" | "hard_link",
  ) {
    super(message);
  }
}

const at = (dirFd: number, name: string) => `/proc/self/fd/${dirFd}/${name}`;

/** Opens `root` itself (it must be a real directory, not a link). */
export function openRoot(root: string): number {
  return openSync(root, DIR_FLAGS);
}

function fail(err: unknown, shown: string): never {
  const code = (err as { code?: string }).code;
  if (code === "ENOENT") throw new UnsafePathError(`${shown} does not exist`, "not_found");
  if (code === "ELOOP") throw new UnsafePathError(`${shown} is a symbolic link`, "symlink");
  if (code === "ENOTDIR") throw new UnsafePathError(`${shown} is not a folder (or is a symbolic link)`, "not_dir");
  throw err;
}

/** A descriptor of the folder `segments` below `rootFd`, no link followed; with `create`, missing folders are made. */
export function openDirAt(rootFd: number, segments: string[], opts: { create?: boolean; mode?: number } = {}): number {
  let fd = rootFd;
  try {
    for (let i = 0; i < segments.length; i++) {
      const name = segments[i]!;
      const shown = segments.slice(0, i + 1).join("/");
      let next: number;
      try {
        next = openSync(at(fd, name), DIR_FLAGS);
      } catch (err) {
        if (!opts.create || (err as { code?: string }).code !== "ENOENT") fail(err, shown);
        // mkdir never follows a link in its last component: it fails with EEXIST instead.
        mkdirSync(at(fd, name), { mode: opts.mode ?? 0o755 });
        try {
          next = openSync(at(fd, name), DIR_FLAGS);
        } catch (e) {
          fail(e, shown);
        }
      }
      if (fd !== rootFd) closeSync(fd);
      fd = next;
    }
    return fd === rootFd ? openSync(at(rootFd, "."), DIR_FLAGS) : fd;
  } catch (err) {
    if (fd !== rootFd) closeSync(fd);
    throw err;
  }
}

/**
 * Writes `bytes` at `segments` below `rootFd` as a new regular file: folders are created without
 * following links; whatever was at the last name (a file, or a link the agent or a repository put
 * there) is unlinked first, never written through.
 */
export function writeFileAt(rootFd: number, segments: string[], bytes: Uint8Array, mode = 0o644): void {
  const fd = openNewFileAt(rootFd, segments, mode);
  try {
    let off = 0;
    while (off < bytes.byteLength) off += writeSync(fd, bytes, off, bytes.byteLength - off);
  } finally {
    closeSync(fd);
  }
}

/** The same, for a caller that writes the bytes itself: a descriptor of the new, empty file (the caller closes it). */
export function openNewFileAt(rootFd: number, segments: string[], mode = 0o644): number {
  const dirFd = openDirAt(rootFd, segments.slice(0, -1), { create: true });
  try {
    const name = segments.at(-1)!;
    const existing = lstatSync(at(dirFd, name), { throwIfNoEntry: false });
    if (existing?.isDirectory()) throw new UnsafePathError(`${segments.join("/")} is a folder in the workspace`, "not_file");
    if (existing) unlinkSync(at(dirFd, name));
    return openSync(at(dirFd, name), C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, mode);
  } finally {
    closeSync(dirFd);
  }
}

/**
 * Opens a file below `rootFd` for reading: no link followed on the way, O_NONBLOCK so a FIFO cannot
 * hang LAP, and the descriptor must be a regular file with exactly one link (a hard link could
 * name a file outside the workspace). The caller closes `fd`.
 */
export function openFileAt(rootFd: number, segments: string[]): { fd: number; stat: Stats } {
  const dirFd = openDirAt(rootFd, segments.slice(0, -1));
  const shown = segments.join("/");
  let fd: number;
  try {
    fd = openSync(at(dirFd, segments.at(-1)!), C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
  } catch (err) {
    fail(err, shown);
  } finally {
    closeSync(dirFd);
  }
  const stat = fstatSync(fd);
  const problem = !stat.isFile()
    ? new UnsafePathError(`${shown} is not a regular file`, "not_file")
    : stat.nlink > 1
      ? new UnsafePathError(`${shown} has other hard links; LAP does not serve it`, "hard_link")
      : null;
  if (problem) {
    closeSync(fd);
    throw problem;
  }
  return { fd, stat };
}

export interface TreeEntry {
  path: string;
  type: "file" | "dir";
  size: number;
  modified_at: string;
}

export interface WalkCaps {
  maxEntries: number;
  maxDepth: number;
}

/**
 * The tree below `segments` (folders first, names sorted), breadth-first up to `caps`: symbolic
 * links, sockets, FIFOs, devices and files with other hard links are left out (`skipped` counts them).
 * Each folder is read through its own descriptor, so a folder swapped for a link mid-walk is not entered.
 */
export function walkTree(
  rootFd: number,
  segments: string[],
  caps: WalkCaps,
): { entries: TreeEntry[]; truncated: boolean; skipped: number } {
  const entries: TreeEntry[] = [];
  let skipped = 0;
  let truncated = false;
  const queue: Array<{ fd: number; prefix: string; depth: number }> = [{ fd: openDirAt(rootFd, segments), prefix: "", depth: 0 }];
  try {
    while (queue.length) {
      const { fd, prefix, depth } = queue.shift()!;
      try {
        const names = readdirSync(at(fd, ".")).sort();
        for (const name of names) {
          if (entries.length >= caps.maxEntries) {
            truncated = true;
            break;
          }
          const st = lstatSync(at(fd, name), { throwIfNoEntry: false });
          if (!st) continue;
          const path = prefix ? `${prefix}/${name}` : name;
          if (st.isDirectory()) {
            entries.push({ path, type: "dir", size: 0, modified_at: st.mtime.toISOString() });
            if (depth + 1 >= caps.maxDepth) {
              truncated = true;
              continue;
            }
            try {
              queue.push({ fd: openSync(at(fd, name), DIR_FLAGS), prefix: path, depth: depth + 1 });
            } catch {
              skipped++; // swapped for a link (or removed) since the lstat
            }
          } else if (st.isFile() && st.nlink === 1)
            entries.push({ path, type: "file", size: st.size, modified_at: st.mtime.toISOString() });
          else skipped++;
        }
      } finally {
        closeSync(fd);
      }
      if (truncated) break;
    }
  } finally {
    for (const q of queue) closeSync(q.fd);
  }
  return { entries, truncated, skipped };
}

/** A file's bytes from a checked descriptor, at most `size` (a file that grows is not read past what was listed). */
export function fileStream(fd: number, size: number): ReadableStream<Uint8Array> {
  let left = size;
  let closed = false;
  const close = () => {
    if (!closed) closeSync(fd);
    closed = true;
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const buf = new Uint8Array(Math.min(64 * 1024, left));
      const n = buf.byteLength
        ? await new Promise<number>((ok, no) => read(fd, buf, 0, buf.byteLength, null, (e, got) => (e ? no(e) : ok(got))))
        : 0;
      left -= n;
      if (n > 0) controller.enqueue(buf.subarray(0, n));
      if (n === 0 || left <= 0) {
        close();
        controller.close();
      }
    },
    cancel: close,
  });
}
