/**
 * Where attachments' bytes live (docs/sessions.md "Attachments"): one `session_attachments` row each,
 * written in the transaction that stores the user.message; the event and the queued turn keep only a
 * reference. `resolveAttachments` puts the base64 back for the runtime (a turn being sent, a history
 * being replayed to a new sandbox).
 */
import { createHash, randomUUID } from "node:crypto";
import type { SqlTx } from "../../db/client";
import type { ContentPart } from "../../../schema/session-events";
import type { AttachmentBlock, AttachmentMediaType, StoredAttachmentRef } from "./model";

type Query = Pick<SqlTx, "query">;
const newId = () => `att_${randomUUID().replaceAll("-", "").slice(0, 24)}`;

const isAttachment = (p: ContentPart): p is ContentPart & AttachmentBlock =>
  (p.type === "image" || p.type === "document") && (p as { source?: { type?: string } }).source?.type === "base64";
const isRef = (p: ContentPart): p is ContentPart & StoredAttachmentRef =>
  (p.type === "image" || p.type === "document") && (p as { source?: { type?: string } }).source?.type === "file";

/** Stores each base64 block's bytes and returns the content with references in their place. */
export async function storeAttachmentsInTx(tx: Query, sessionId: string, content: ContentPart[]): Promise<ContentPart[]> {
  if (!content.some(isAttachment)) return content;
  const out: ContentPart[] = [];
  for (const part of content) {
    if (!isAttachment(part)) {
      out.push(part);
      continue;
    }
    const bytes = Buffer.from(part.source.data, "base64");
    const id = newId();
    const title = part.type === "document" ? (part.title ?? null) : null;
    await tx.query(
      "insert into session_attachments (id, session_id, kind, media_type, title, size_bytes, sha256, data) values ($1, $2, $3, $4, $5, $6, $7, $8)",
      [id, sessionId, part.type, part.source.media_type, title, bytes.length, createHash("sha256").update(bytes).digest("hex"), bytes],
    );
    const ref: StoredAttachmentRef = {
      type: part.type,
      source: { type: "file", file_id: id, media_type: part.source.media_type },
      size_bytes: bytes.length,
      ...(title ? { title } : {}),
    };
    out.push(ref as unknown as ContentPart);
  }
  return out;
}

/** The content with every reference of this session replaced by its base64 block (unknown ids become a text note). */
export async function resolveAttachments(db: Query, sessionId: string, content: ContentPart[]): Promise<ContentPart[]> {
  const ids = content.filter(isRef).map((p) => p.source.file_id);
  if (!ids.length) return content;
  const rows = await db.query<{ id: string; media_type: AttachmentMediaType; data: Uint8Array }>(
    "select id, media_type, data from session_attachments where session_id = $1 and id = any($2::text[])",
    [sessionId, ids],
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  return content.map((p) => {
    if (!isRef(p)) return p;
    const row = byId.get(p.source.file_id);
    if (!row) return { type: "text", text: `[attachment ${p.source.file_id} is no longer stored]` };
    const source = { type: "base64", media_type: row.media_type, data: Buffer.from(row.data).toString("base64") };
    return (
      p.type === "document" ? { type: "document", source, ...(p.title ? { title: p.title } : {}) } : { type: "image", source }
    ) as ContentPart;
  });
}

/** One attachment of a session, for the dashboard (the caller checked the session is visible). */
export async function readAttachment(
  db: Query,
  sessionId: string,
  id: string,
): Promise<{ mediaType: string; bytes: Uint8Array; title: string | null } | null> {
  const [row] = await db.query<{ media_type: string; data: Uint8Array; title: string | null }>(
    "select media_type, data, title from session_attachments where session_id = $1 and id = $2",
    [sessionId, id],
  );
  return row ? { mediaType: row.media_type, bytes: new Uint8Array(row.data), title: row.title } : null;
}
