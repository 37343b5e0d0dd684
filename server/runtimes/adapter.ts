import type { ContentPart, SessionEventData } from "../../schema/session-events";

/**
 * The one interface every runtime implements: the remote Managed Agents adapter here, and later
 * the bubblewrap sandbox runtime and the Kubernetes runtime. It is deliberately small: LAP owns
 * the event log, queueing, locking and recovery; an adapter only talks to its runtime.
 */

/** What LAP knows about an agent, as a runtime needs it. */
export interface AgentDefinition {
  id: string;
  name: string;
  description: string;
  model: string;
  systemPrompt: string;
  tools: string[];
  /** Tools whose calls the runtime must not run before a person allows them (`always_ask`). */
  approvalRequiredTools: string[];
  mcpServers: Array<{ name: string; url: string }>;
  environment: Record<string, string>;
  repoUrl: string | null;
  repoBranch: string | null;
  /** Skill and rule ids attached to the agent (their content lives in LAP; runtimes get the ids). */
  skillIds?: string[];
  ruleIds?: string[];
  /** Names of vault keys the agent may use (names only; never values in a definition). */
  vaultKeys?: string[];
  /** false: no LAP platform MCP server `lap` for its sessions (docs/memory.md); default true. */
  platformTools?: boolean;
}

/** A normalized event plus the runtime's own id for it (dedupes retries within a turn). */
export interface RuntimeEvent {
  event: SessionEventData;
  providerEventId?: string;
}

export interface SentMessage {
  eventId: string | null;
}

/** The runtime-side agent LAP can reuse across sessions while the signature is unchanged. */
export interface RemoteAgentRef {
  remoteAgentId: string;
  remoteEnvironmentId: string | null;
  signature: string;
}

export type RemoteSessionState = "idle" | "running" | "terminated" | "missing";

export interface StreamOptions {
  signal: AbortSignal;
  afterEventId?: string;
  /** Called once the stream is connected: LAP sends the message only then, so nothing is missed. */
  onOpen?: () => void;
  /** The turn's message is already at the runtime: this stream resumes a turn (after a drop or a re-attach), not a new one. */
  resuming?: boolean;
}

export interface RuntimeAdapter {
  /**
   * true: the runtime streams a reply as many `agent.message` events, each a piece of one message
   * (LAP's sandbox harnesses). LAP stores them as `agent.message_delta` and one whole `agent.message`
   * (docs/sessions.md "Messages and deltas"). Unset: each `agent.message` is whole (Managed Agents).
   */
  readonly messageChunks?: boolean;
  /** Health/credentials check for "test runtime". Throws RuntimeError with a readable message. */
  check(): Promise<void>;
  /** Returns `existing` untouched when its signature matches the definition; otherwise creates one. */
  ensureAgent(agent: AgentDefinition, existing: RemoteAgentRef | null): Promise<RemoteAgentRef & { reused: boolean }>;
  /** Starts a runtime session for a LAP session; returns the runtime's session id. */
  startSession(input: { ref: RemoteAgentRef; agent: AgentDefinition; localSessionId: string; title: string }): Promise<string>;
  /**
   * Sends one user message (returns once the runtime accepted it), with the runtime's id for the
   * recorded user.message when its answer carries one (a re-attached stream resumes after it).
   */
  sendMessage(remoteSessionId: string, content: ContentPart[]): Promise<SentMessage | void>;
  /**
   * The runtime's own event history of a session, oldest first (user.message included). Lets a
   * re-attach after a crash tell whether the runtime already got a message. Optional: adapters that
   * track in-flight messages themselves (the sandbox runtime) leave it out.
   */
  listEvents?(remoteSessionId: string): Promise<RuntimeEvent[]>;
  /** Asks the runtime to stop the running turn. */
  interrupt(remoteSessionId: string): Promise<void>;
  /**
   * Streams normalized events. `afterEventId` resumes after a runtime event id (re-attach after a
   * restart or a dropped stream). Ends when the stream ends or `signal` aborts.
   */
  streamEvents(remoteSessionId: string, opts: StreamOptions): AsyncIterable<RuntimeEvent>;
  /** Where the runtime thinks the session is; `missing` when it no longer knows it. */
  sessionState(remoteSessionId: string): Promise<RemoteSessionState>;
  /** Ends the runtime session and frees what it holds (sandbox). Best effort. */
  stopSession(remoteSessionId: string): Promise<void>;
}

/**
 * Thrown by `streamEvents` when the turn being streamed cannot finish: what ran it is gone (a killed
 * or OOM-killed sandbox, a host reboot, an orphan reaped after its grace period). LAP ends the turn
 * with `session.error` and `stop_reason: {type: "interrupted", reason}` (docs/sessions.md), never as
 * if the agent had finished; the session goes on with its history.
 */
export class TurnLostError extends Error {
  constructor(
    readonly reason: "sandbox_lost" | "runtime_lost_turn",
    message: string,
  ) {
    super(message);
  }
}

/**
 * The runtime never took the message (a sandbox killed between turns): the turn opens its stream again,
 * which brings the session a new sandbox, and sends the message there. Never a duplicate: nothing got it.
 */
export class MessageNotTakenError extends Error {}

/** A failure talking to a runtime; `status` is the runtime's HTTP status when there was one. */
export class RuntimeError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}
