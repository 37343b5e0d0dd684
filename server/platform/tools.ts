import type { Tool } from "@modelcontextprotocol/sdk/types.js";

/** The reserved server name of LAP's own tools (docs/memory.md); no registered MCP server may take it. */
export const PLATFORM_SERVER = "lap";

/** The tool that waits for a person: always in the session's approval-required tools (docs/approvals.md). */
export const REQUEST_APPROVAL = "request_approval";

const obj = (properties: Record<string, object>, required: string[] = []) => ({
  type: "object" as const,
  properties,
  required,
  additionalProperties: false,
});
const str = (description: string, maxLength?: number) => ({ type: "string", description, ...(maxLength ? { maxLength } : {}) });
const num = (description: string) => ({ type: "number", description });

/** What a session of an agent is offered by LAP (each scoped to that agent and its session key). */
export const PLATFORM_TOOLS: Tool[] = [
  {
    name: "memory_list",
    description:
      "List the entries of your memory (keys, whether always-on, and a preview). Always-on entries are already in your instructions.",
    inputSchema: obj({ limit: num("At most this many (default 100)") }),
  },
  {
    name: "memory_search",
    description: "Search your memory's keys and contents for a word or phrase.",
    inputSchema: obj({ query: str("What to look for", 200) }, ["query"]),
  },
  {
    name: "memory_read",
    description: "Read one memory entry by its key.",
    inputSchema: obj({ key: str("The entry's key", 200) }, ["key"]),
  },
  {
    name: "memory_write",
    description:
      "Remember something for later sessions: creates the entry with this key, or replaces its content. always_on: true puts it in every new session's instructions (keep those short). scope: user keeps it for the person who started this session only.",
    inputSchema: obj(
      {
        key: str("A short title, such as deploy-steps", 200),
        content: str("What to remember"),
        always_on: { type: "boolean", description: "In every new session's instructions (default: unchanged, false for a new entry)" },
        scope: {
          type: "string",
          enum: ["agent", "user"],
          description: "agent (default): every session of this agent; user: only the sessions of the person who started this one",
        },
      },
      ["key", "content"],
    ),
  },
  {
    name: "memory_delete",
    description: "Forget a memory entry (a person can restore it from the dashboard).",
    inputSchema: obj({ key: str("The entry's key", 200) }, ["key"]),
  },
  {
    name: "start_subagent",
    description:
      "Delegate a task to another agent you are allowed to use: starts a new session of it with your message and waits for its answer (up to wait_seconds; if it is still working, read its session later with read_session).",
    inputSchema: obj(
      {
        agent: str("The agent's name or id (one of those listed in your agent's sub-agents)", 200),
        message: str("The task", 100_000),
        wait_seconds: num("How long to wait for the answer (1-50, default 45)"),
      },
      ["agent", "message"],
    ),
  },
  {
    name: "list_sessions",
    description: "List this agent's other sessions (newest first).",
    inputSchema: obj({ limit: num("At most this many (default 20)") }),
  },
  {
    name: "read_session",
    description: "Read the recent messages of one of this agent's sessions (including sub-agent sessions you started).",
    inputSchema: obj({ session_id: str("The session id", 64), limit: num("At most this many messages (default 20)") }, ["session_id"]),
  },
  {
    name: "message_session",
    description:
      "Send a message to one of this agent's other sessions, or a sub-agent session you started, and wait for its answer (up to wait_seconds).",
    inputSchema: obj(
      {
        session_id: str("The session id", 64),
        text: str("The message", 100_000),
        wait_seconds: num("How long to wait for the answer (1-50, default 45)"),
      },
      ["session_id", "text"],
    ),
  },
  {
    name: REQUEST_APPROVAL,
    description:
      "Ask a person to approve something before you go on. The turn pauses until a person allows or denies it; the answer is this tool's result.",
    inputSchema: obj({ summary: str("What you want approved, in one or two sentences", 2000) }, ["summary"]),
  },
];
