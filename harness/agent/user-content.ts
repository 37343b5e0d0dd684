/**
 * A user message as the built-in agent sends it to LAP's gateway (OpenAI chat completions): text
 * alone stays a string; with attachments (docs/sessions.md "Attachments") the content is parts —
 * images as `image_url` data URLs, PDFs as `file` parts with `file_data`, plain-text documents as
 * text. The gateway carries these to an Anthropic provider as image and document blocks.
 */
import type { ContentPart } from "../protocol";

export type ChatUserPart =
  | { type: "text"; text: string }
  | { type: "image_url"; image_url: { url: string } }
  | { type: "file"; file: { filename: string; file_data: string } };

export type ChatUserContent = string | ChatUserPart[];

export function chatUserContent(content: unknown): ChatUserContent {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  const parts: ChatUserPart[] = [];
  for (const p of content as ContentPart[]) {
    if (p?.type === "text" && typeof p.text === "string") parts.push({ type: "text", text: p.text });
    else if (p?.type === "image" && p.source?.type === "base64")
      parts.push({ type: "image_url", image_url: { url: `data:${p.source.media_type};base64,${p.source.data}` } });
    else if (p?.type === "document" && p.source?.type === "base64") {
      if (p.source.media_type === "text/plain") {
        const text = Buffer.from(p.source.data, "base64").toString("utf8");
        parts.push({ type: "text", text: `<document${p.title ? ` title=${JSON.stringify(p.title)}` : ""}>\n${text}\n</document>` });
      } else
        parts.push({
          type: "file",
          file: { filename: p.title ?? "document.pdf", file_data: `data:${p.source.media_type};base64,${p.source.data}` },
        });
    }
  }
  return parts.every((p) => p.type === "text") ? parts.map((p) => (p as { text: string }).text).join("") : parts;
}
