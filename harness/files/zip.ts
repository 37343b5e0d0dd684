/**
 * A folder of a workspace as a zip, streamed (fflate): the files are those a walk listed (./safe-fs.ts
 * walkTree: no links, no hard-linked files), each opened again without following links and read up
 * to the size the walk saw, so neither a swap nor a growing file takes the zip past its cap.
 */
import { closeSync, readSync } from "node:fs";
import { Zip, ZipDeflate } from "fflate";
import { openFileAt, type TreeEntry, UnsafePathError } from "./safe-fs";

const CHUNK = 64 * 1024;

export function zipStream(rootFd: number, base: string[], entries: TreeEntry[], onDone: () => void): ReadableStream<Uint8Array> {
  const files = entries.filter((e) => e.type === "file");
  let index = 0;
  let current: { fd: number; left: number; entry: ZipDeflate } | null = null;
  let zip: Zip;
  let finished = false;
  let ended = false;
  /** Set by the zip's callback: pull() steps until it produced output (a stream whose pull enqueues nothing is not pulled again). */
  let emitted = false;
  const done = () => {
    if (finished) return;
    finished = true;
    if (current) closeSync(current.fd);
    current = null;
    onDone();
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      zip = new Zip((err, chunk, final) => {
        if (err) {
          done();
          controller.error(err);
          return;
        }
        emitted = true;
        controller.enqueue(chunk);
        if (final) {
          done();
          controller.close();
        }
      });
    },
    pull() {
      emitted = false;
      while (!emitted && !finished && !ended) step();
    },
    cancel() {
      done();
    },
  });

  /** One chunk of input into the zip (whose output the callback above enqueues). */
  function step() {
    for (;;) {
      if (!current) {
        const next = files[index++];
        if (!next) {
          ended = true;
          zip.end();
          return;
        }
        try {
          const { fd, stat } = openFileAt(rootFd, [...base, ...next.path.split("/")]);
          const entry = new ZipDeflate(next.path, { level: 6 });
          const year = stat.mtime.getFullYear();
          if (year >= 1980 && year < 2099) entry.mtime = stat.mtime;
          zip.add(entry);
          current = { fd, left: Math.min(next.size, stat.size), entry };
        } catch (err) {
          if (err instanceof UnsafePathError) continue; // changed since the walk: left out
          throw err;
        }
      }
      const buf = new Uint8Array(Math.min(CHUNK, current.left));
      const n = buf.byteLength ? readSync(current.fd, buf, 0, buf.byteLength, null) : 0;
      current.left -= n;
      const last = n === 0 || current.left <= 0;
      current.entry.push(buf.subarray(0, n), last);
      if (last) {
        closeSync(current.fd);
        current = null;
      }
      return;
    }
  }
}
