/**
 * Attachments on messages (docs/sessions.md "Attachments"): image and document content blocks in the
 * Managed Agents / Anthropic shape, checked before anything is stored: base64 that decodes, a media
 * type the bytes' magic numbers agree with, and size and count limits (docs/security.md "Attachments").
 */
import { z } from "zod";
import { idString } from "../../lib/strings";

export const IMAGE_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"] as const;
export const DOCUMENT_TYPES = ["application/pdf", "text/plain"] as const;
export type AttachmentMediaType = (typeof IMAGE_TYPES)[number] | (typeof DOCUMENT_TYPES)[number];

/** One attachment's decoded size (Anthropic's own cap for an image is 5 MB). */
export const MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024;
/** Attachments in one message. */
export const MAX_ATTACHMENTS = 10;
/** All attachments of one message, decoded: their base64 (4/3 larger) must still fit a model call under LAP_MAX_BODY_BYTES' default. */
export const MAX_ATTACHMENT_TOTAL_BYTES = 6 * 1024 * 1024;

const mb = (n: number) => `${n / 1024 / 1024} MiB`;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decoded size of well-formed base64 without decoding it. */
export const base64Bytes = (data: string) => (data.length / 4) * 3 - (data.endsWith("==") ? 2 : data.endsWith("=") ? 1 : 0);

const startsWith = (b: Uint8Array, sig: number[], at = 0) => sig.every((x, i) => b[at + i] === x);
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

/** Whether the bytes are what `mediaType` says (magic numbers; text: UTF-8 without NUL). */
export function bytesMatch(mediaType: string, b: Uint8Array): boolean {
  switch (mediaType) {
    case "image/png":
      return startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    case "image/jpeg":
      return startsWith(b, [0xff, 0xd8, 0xff]);
    case "image/gif":
      return startsWith(b, ascii("GIF87a")) || startsWith(b, ascii("GIF89a"));
    case "image/webp":
      return startsWith(b, ascii("RIFF")) && startsWith(b, ascii("WEBP"), 8);
    case "application/pdf":
      return startsWith(b, ascii("%PDF-"));
    case "text/plain":
      if (b.includes(0)) return false;
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(b);
        return true;
      } catch {
        return false;
      }
    default:
      return false;
  }
}

/** The media type the bytes look like, for error messages. */
export function sniff(b: Uint8Array): string | null {
  for (const t of [...IMAGE_TYPES, "application/pdf"] as const) if (bytesMatch(t, b)) return t;
  return bytesMatch("text/plain", b.subarray(0, 4096)) ? "text/plain" : null;
}

const base64Data = z
  .string({ error: "required: the base64 bytes" })
  .min(1, "must not be empty")
  // Refused before decoding: the body limit already bounds it, this names the field.
  .max(Math.ceil(MAX_ATTACHMENT_BYTES / 3) * 4, `at most ${mb(MAX_ATTACHMENT_BYTES)} once decoded`)
  .refine((s) => s.length % 4 === 0 && BASE64.test(s), "must be standard base64 (A-Z a-z 0-9 + /, padded with =, no line breaks)")
  .refine((s) => base64Bytes(s) <= MAX_ATTACHMENT_BYTES, `at most ${mb(MAX_ATTACHMENT_BYTES)} once decoded`);

const source = <T extends readonly [string, ...string[]]>(types: T) =>
  z
    .object({
      type: z.literal("base64", { error: "only base64 sources are accepted (no url: LAP does not fetch for you)" }),
      media_type: z.enum(types, { error: `must be one of ${types.join(", ")}` }),
      data: base64Data,
    })
    .strict()
    .superRefine((s, ctx) => {
      if (typeof s.data !== "string" || s.data.length % 4 !== 0 || !BASE64.test(s.data)) return;
      const bytes = Buffer.from(s.data, "base64");
      if (!bytesMatch(s.media_type, bytes)) {
        const seen = sniff(bytes);
        ctx.addIssue({
          code: "custom",
          path: ["data"],
          message: `the bytes are not ${s.media_type}${seen ? ` (they look like ${seen})` : ""}`,
        });
      }
    });

export const imageBlock = z.object({ type: z.literal("image"), source: source(IMAGE_TYPES) }).strict();
export const documentBlock = z
  .object({
    type: z.literal("document"),
    source: source(DOCUMENT_TYPES),
    title: z.string().min(1).max(200, "at most 200 characters").optional(),
  })
  .strict();
export const textBlock = z.object({ type: z.literal("text"), text: z.string().min(1, "must not be empty").max(100_000) }).strict();

export type ImageBlock = z.infer<typeof imageBlock>;
export type DocumentBlock = z.infer<typeof documentBlock>;
export type AttachmentBlock = ImageBlock | DocumentBlock;

const block = z.discriminatedUnion("type", [textBlock, imageBlock, documentBlock], { error: "type must be text, image or document" });

/** A message's content: text, image and document blocks, with the attachment limits. */
export const messageContent = z
  .array(block)
  .min(1, "at least one part")
  .max(20 + MAX_ATTACHMENTS, "at most 30 parts")
  .superRefine((parts, ctx) => {
    const attached = parts.filter((p) => p.type !== "text") as AttachmentBlock[];
    if (parts.length - attached.length > 20) ctx.addIssue({ code: "custom", message: "at most 20 text parts" });
    if (attached.length > MAX_ATTACHMENTS)
      ctx.addIssue({ code: "custom", message: `at most ${MAX_ATTACHMENTS} images and documents in one message` });
    const total = attached.reduce((n, p) => n + base64Bytes(p.source.data), 0);
    if (total > MAX_ATTACHMENT_TOTAL_BYTES)
      ctx.addIssue({
        code: "custom",
        message: `attachments total at most ${mb(MAX_ATTACHMENT_TOTAL_BYTES)} once decoded in one message (these are ${(total / 1024 / 1024).toFixed(1)} MiB)`,
      });
  });

/**
 * How a stored user.message refers to an attachment (Anthropic's Files API shape, `source.type: "file"`):
 * the bytes live in `session_attachments`, not in the event, so reading events stays light.
 */
export interface StoredAttachmentRef {
  type: "image" | "document";
  source: { type: "file"; file_id: string; media_type: AttachmentMediaType };
  size_bytes: number;
  title?: string;
}

export const attachmentParams = z.object({ id: idString(64), attachment_id: idString(64) });
