/**
 * Files shared in a Slack thread become attachments of the message (docs/slack.md "Files",
 * docs/sessions.md "Attachments"). The bytes are fetched from the file's `url_private_download` with
 * the workspace's bot token, only from Slack's file host (https://files.slack.com) or the origin of
 * SLACK_API_URL when an operator pointed it elsewhere (a proxy, a test's fake), never following a
 * redirect, and read no further than the size cap. What the bytes are decides the block, not Slack's
 * `mimetype`; a file LAP does not take is named in the message instead.
 */
import {
  bytesMatch,
  IMAGE_TYPES,
  MAX_ATTACHMENT_BYTES,
  MAX_ATTACHMENT_TOTAL_BYTES,
  MAX_ATTACHMENTS,
  sniff,
} from "../server/sessions/attachments/model";
import type { AttachmentPart } from "../server/sessions/port";

/** The parts of a Slack file object LAP reads. */
export interface SlackFile {
  id?: string;
  name?: string;
  title?: string;
  mimetype?: string;
  size?: number;
  url_private?: string;
  url_private_download?: string;
  mode?: string;
}

/** What the inbox row keeps of a shared file (no bytes). */
export interface SlackFileRef {
  id: string;
  name: string;
  mimetype: string;
  size: number;
  url: string;
}

export type { AttachmentPart };

const DEFAULT_FILE_HOST = "https://files.slack.com";

/** The files of a message event worth fetching (external links and tombstones have no bytes at Slack). */
export function fileRefs(files: SlackFile[] | undefined): SlackFileRef[] {
  return (files ?? [])
    .filter((f) => f && typeof (f.url_private_download ?? f.url_private) === "string" && f.mode !== "external" && f.mode !== "tombstone")
    .slice(0, 20)
    .map((f) => ({
      id: String(f.id ?? ""),
      name: String(f.name ?? f.title ?? "file").slice(0, 200),
      mimetype: String(f.mimetype ?? ""),
      size: Number(f.size ?? 0),
      url: String(f.url_private_download ?? f.url_private),
    }));
}

/** Origins files may come from: Slack's file host, and SLACK_API_URL's origin when it is not Slack's own. */
export function allowedFileOrigins(apiUrl: string): Set<string> {
  const origins = new Set([DEFAULT_FILE_HOST]);
  const api = new URL(apiUrl);
  if (api.hostname !== "slack.com") origins.add(api.origin);
  return origins;
}

async function readCapped(res: Response, cap: number): Promise<Uint8Array | null> {
  const chunks: Uint8Array[] = [];
  let n = 0;
  for await (const chunk of res.body ?? []) {
    n += chunk.length;
    if (n > cap) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Downloads the files and returns the attachment blocks plus a note for each one left out. Never
 * throws for a file: a message with a bad file still reaches the agent.
 */
export async function downloadSlackFiles(
  files: SlackFileRef[],
  opts: { token: string; apiUrl: string; fetch?: typeof fetch; timeoutMs?: number },
): Promise<{ parts: AttachmentPart[]; notes: string[] }> {
  const origins = allowedFileOrigins(opts.apiUrl);
  const parts: AttachmentPart[] = [];
  const notes: string[] = [];
  let total = 0;
  for (const f of files) {
    const skip = (why: string) => notes.push(`[${f.name} was not attached: ${why}]`);
    if (parts.length >= MAX_ATTACHMENTS) {
      skip(`at most ${MAX_ATTACHMENTS} files per message`);
      continue;
    }
    let url: URL;
    try {
      url = new URL(f.url);
    } catch {
      skip("its URL is not valid");
      continue;
    }
    if (!origins.has(url.origin)) {
      skip("it is not on Slack's file host");
      continue;
    }
    if (f.size > MAX_ATTACHMENT_BYTES) {
      skip(`larger than ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MiB`);
      continue;
    }
    let bytes: Uint8Array | null;
    try {
      const res = await (opts.fetch ?? fetch)(url, {
        headers: { authorization: `Bearer ${opts.token}` },
        redirect: "manual",
        signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
      });
      if (res.status !== 200) {
        await res.body?.cancel();
        skip(`Slack answered ${res.status}`);
        continue;
      }
      bytes = await readCapped(res, MAX_ATTACHMENT_BYTES);
    } catch (err) {
      skip(`download failed (${(err as Error).message})`);
      continue;
    }
    if (!bytes) {
      skip(`larger than ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MiB`);
      continue;
    }
    // What the bytes are decides; text only when Slack also says text (any UTF-8 would pass as text).
    const seen = sniff(bytes);
    const mediaType =
      seen && seen !== "text/plain" ? seen : f.mimetype.startsWith("text/") && bytesMatch("text/plain", bytes) ? "text/plain" : null;
    if (!mediaType) {
      skip(`LAP takes PNG, JPEG, GIF and WebP images, PDFs and plain text${f.mimetype ? ` (this is ${f.mimetype})` : ""}`);
      continue;
    }
    if (total + bytes.length > MAX_ATTACHMENT_TOTAL_BYTES) {
      skip(`the message's files total more than ${MAX_ATTACHMENT_TOTAL_BYTES / 1024 / 1024} MiB`);
      continue;
    }
    total += bytes.length;
    const source = { type: "base64" as const, media_type: mediaType, data: Buffer.from(bytes).toString("base64") };
    parts.push(
      (IMAGE_TYPES as readonly string[]).includes(mediaType) ? { type: "image", source } : { type: "document", source, title: f.name },
    );
  }
  return { parts, notes };
}
