import type { Json } from "../types";

type Block = { type: string; text?: string };
const blocksOf = (content: unknown): Block[] =>
  typeof content === "string" ? [{ type: "text", text: content }] : Array.isArray(content) ? (content as Block[]) : [];

/**
 * Claude Code (2.1.x) sends `role: "system"` entries inside `messages`, which Anthropic's API does not
 * accept. Move them into the top-level `system` (after any existing one, in order) so the request is valid
 * for every provider, including a pass-through to Anthropic.
 */
export function hoistSystemMessages(body: Json): Json {
  const messages = (body as { messages?: { role: string; content: unknown }[] }).messages;
  if (!Array.isArray(messages) || !messages.some((m) => m.role === "system")) return body;
  const hoisted = messages.filter((m) => m.role === "system").flatMap((m) => blocksOf(m.content));
  const existing = blocksOf((body as { system?: unknown }).system);
  return { ...(body as object), system: [...existing, ...hoisted], messages: messages.filter((m) => m.role !== "system") } as Json;
}
