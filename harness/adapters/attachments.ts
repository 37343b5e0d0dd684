// Attachments on a turn (docs/sessions.md "Attachments") as each CLI takes them. LAP checked the
// bytes and limits before storing them; the stdio program splits a turn's content into its text and
// these. Plain-text documents become part of the prompt everywhere; images and PDFs go in each
// CLI's own input: Claude Code content blocks, Codex `image` inputs, opencode `file` parts,
// DeepAgents chat parts. A PDF a CLI has no input for (Codex) is written into the workspace and
// named in the prompt.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export type Attachment = { kind: "image" | "document"; mediaType: string; data: string; title?: string };

type Part = { type?: string; text?: string; title?: string; source?: { type?: string; media_type?: string; data?: string } };

/** The turn's text and attachments, from the content parts of a `turn` command. */
export function splitContent(content: unknown): { text: string; attachments: Attachment[] } {
  let text = "";
  const attachments: Attachment[] = [];
  for (const p of (Array.isArray(content) ? content : []) as Part[]) {
    if (p?.type === "text" && typeof p.text === "string") text += p.text;
    else if ((p?.type === "image" || p?.type === "document") && p.source?.type === "base64" && p.source.media_type && p.source.data) {
      attachments.push({ kind: p.type, mediaType: p.source.media_type, data: p.source.data, ...(p.title ? { title: p.title } : {}) });
    }
  }
  return inlineText(text, attachments);
}

/** Plain-text documents appended to the prompt; the other attachments left as they are. */
export function inlineText(text: string, attachments: Attachment[]): { text: string; attachments: Attachment[] } {
  const docs = attachments.filter((a) => a.mediaType === "text/plain");
  if (!docs.length) return { text, attachments };
  const blocks = docs.map(
    (a) =>
      `<document${a.title ? ` title=${JSON.stringify(a.title)}` : ""}>\n${Buffer.from(a.data, "base64").toString("utf8")}\n</document>`,
  );
  return { text: [text, ...blocks].filter(Boolean).join("\n\n"), attachments: attachments.filter((a) => a.mediaType !== "text/plain") };
}

export const dataUrl = (a: Attachment) => `data:${a.mediaType};base64,${a.data}`;

const EXT: Record<string, string> = {
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/gif": "gif",
  "image/webp": "webp",
  "application/pdf": "pdf",
  "text/plain": "txt",
};

/**
 * Writes attachments under `<workspace>/.lap-attachments/` for a CLI without a native input for them;
 * returns the prompt naming them. File names are LAP's (never the title), so no path comes from the user.
 */
export function saveToWorkspace(workspace: string, text: string, attachments: Attachment[]): string {
  if (!attachments.length) return text;
  const dir = join(workspace, ".lap-attachments");
  mkdirSync(dir, { recursive: true });
  const lines = attachments.map((a, i) => {
    const name = `${Date.now().toString(36)}-${i + 1}.${EXT[a.mediaType] ?? "bin"}`;
    writeFileSync(join(dir, name), Buffer.from(a.data, "base64"));
    return `- .lap-attachments/${name} (${a.mediaType}${a.title ? `, "${a.title}"` : ""})`;
  });
  return `${text}\n\nThe user attached these files (in the workspace):\n${lines.join("\n")}`;
}
