/**
 * The wire between the supervisor and a harness process it runs: JSON lines.
 * The supervisor writes commands to the harness's stdin; the harness writes normalized events
 * (DESIGN.md "Normalized events") to its stdout. stderr is the harness's own log.
 *
 * Any harness (the built-in agent, or an adapter around opencode / claude / codex in
 * harness/adapters/<name>/main.ts) is a program speaking this: that keeps the supervisor the only
 * piece that talks HTTP to LAP, and lets it restart a crashed harness without losing the session.
 */

export interface TextPart {
  type: "text";
  text: string;
}

/** An image the user attached (Anthropic / Managed Agents shape; LAP checked the bytes, docs/sessions.md "Attachments"). */
export interface ImagePart {
  type: "image";
  source: { type: "base64"; media_type: string; data: string };
}

/** A PDF or plain-text document the user attached. */
export interface DocumentPart {
  type: "document";
  source: { type: "base64"; media_type: string; data: string };
  title?: string;
}

export type ContentPart = TextPart | ImagePart | DocumentPart;

/** The text parts of a turn, joined. */
export const textOfParts = (content: ContentPart[]) => content.map((p) => (p.type === "text" ? p.text : "")).join("");

/** The attachments of a turn. */
export const attachmentsOf = (content: ContentPart[]) =>
  content.filter((p): p is ImagePart | DocumentPart => p.type === "image" || p.type === "document");

/** A normalized event as LAP stores and streams it (fields flattened next to `type`). */
export interface NormalizedEvent {
  type: string;
  [field: string]: unknown;
}

/** Identity and model settings the harness learns after a warm sandbox is claimed. */
export interface HarnessConfig {
  sessionId: string;
  agentId: string;
  model: string;
  gatewayBaseUrl: string;
  gatewayKey: string;
  systemPrompt?: string;
  workspace: string;
  maxSteps: number;
  /** The agent's MCP servers through LAP's gateway; authenticate with `gatewayKey` (Bearer). */
  mcp?: HarnessMcp;
  /** Tools whose calls wait for a person (`always_ask`): the turn ends with `requires_action`. */
  approvalRequiredTools?: string[];
  /** Environment the binding added (vault stubs, egress proxy, CA bundle, MCP URLs), for programs the agent runs. */
  env?: Record<string, string>;
  /** The agent's rules and skills (docs/skills.md): each harness gets them the way its CLI reads them (harness/context.ts). */
  context?: HarnessContext;
  /**
   * A pre-started harness (supervisor/binding.ts): how long its CLI's MCP start may wait, since the
   * gateway proxy holds MCP requests until the bind (supervisor/gateway-proxy.ts).
   */
  mcpStartTimeoutMs?: number;
}

/** Rules (markdown) and skills (Agent Skills folders) given to a session at start, current versions, in the agent's order. */
export interface HarnessContext {
  rules: Array<{ name: string; version: number; body: string }>;
  skills: Array<{
    name: string;
    version: number;
    description: string;
    skillMd: string;
    files: Array<{ path: string; content_base64: string }>;
  }>;
}

/** A person's decision on a tool call the agent asked about (Managed Agents `user.tool_confirmation`). */
export interface ToolConfirmation {
  tool_use_id: string;
  result: "allow" | "deny";
  deny_message?: string;
}

/**
 * LAP's MCP proxy as the harness sees it: `url` is the aggregate endpoint (every server, tools named
 * `server__tool`), `servers` one endpoint each. Never the upstream servers or their credentials.
 */
export interface HarnessMcp {
  url: string;
  servers: Array<{ name: string; url: string }>;
}

/** LAP's MCP endpoints for these servers, from the gateway URL as seen inside the sandbox (…/v1). */
export function mcpEndpoints(gatewayBaseUrl: string, names: string[]): HarnessMcp | undefined {
  if (!names.length) return undefined;
  const origin = gatewayBaseUrl.replace(/\/+$/, "").replace(/\/v1$/, "");
  return { url: `${origin}/mcp`, servers: names.map((name) => ({ name, url: `${origin}/mcp/${encodeURIComponent(name)}` })) };
}

export type HarnessCommand =
  | { type: "configure"; config: HarnessConfig }
  /** Earlier conversation (after a recovery or a harness restart): normalized events, oldest first. */
  | { type: "history"; events: NormalizedEvent[] }
  | { type: "turn"; turnId: string; content: ContentPart[] }
  /** Starts a turn that resolves a pending tool call, then carries on the loop. */
  | { type: "tool_confirmation"; turnId: string; confirmation: ToolConfirmation }
  | { type: "interrupt" }
  /**
   * Start the CLI now, before any turn (a warm sandbox's pre-start); the harness answers with one
   * `harness.prepared` event (`ok`, `error`, `connectsMcpAtBind`), which the supervisor keeps out of the
   * session's log. `connectsMcpAtBind: true`: this harness (re)connects its CLI's MCP servers at `bound`,
   * so MCP requests the gateway proxy held and the CLI gave up on before the bind cost it nothing.
   */
  | { type: "start" }
  /**
   * After the bind, to a pre-started harness the supervisor kept: the session is known, the gateway proxy
   * now lets requests through, so the CLI connects what it could not before (opencode: its MCP servers).
   */
  | { type: "bound" };

/** Events that end a turn. */
export const TERMINAL_EVENTS = new Set(["session.status_idle", "session.error"]);

export const encodeLine = (value: unknown) => `${JSON.stringify(value)}\n`;

/** Splits a byte stream into JSON values, one per line; bad lines go to `onBad`. */
export async function* readJsonLines(stream: ReadableStream<Uint8Array>, onBad?: (line: string) => void): AsyncGenerator<unknown> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of stream) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (!line) continue;
      try {
        yield JSON.parse(line);
      } catch {
        onBad?.(line);
      }
    }
  }
}
