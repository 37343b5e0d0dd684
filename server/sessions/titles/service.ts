import type { Principal } from "../../auth/model";
import { SYSTEM } from "../../auth/policy";
import { NO_AUDIT, type AuditPort } from "../../audit/record";
import type { Database } from "../../db/client";
import type { Logger } from "../../lib/logger";
import type { SessionService } from "../service";
import type { SessionView, UpdateSessionInput } from "../model";

/** Who a title call is for (server/gateway/internal-call.ts `OnBehalfOf`). */
export interface TitleCallFor {
  sessionId: string;
  agentId: string | null;
  teamId: string;
  userId: string | null;
  keyAlias: string;
}

/** A chat completion through LAP's gateway: OpenAI chat request in, chat response out. */
// biome-ignore lint/suspicious/noExplicitAny: a chat completion answer, read defensively
export type TitleCall = (body: Record<string, unknown>, on: TitleCallFor) => Promise<Record<string, any>>;

export interface TitleServiceDeps {
  database: Database;
  sessions: SessionService;
  log: Logger;
  /** LAP_TITLE_MODEL: a gateway model, `agent` (the agent's own), or undefined (no titles). */
  model?: string;
  call?: TitleCall;
  audit?: AuditPort;
}

/** The spend log's `key_alias` of title calls: `/spend/logs?key_alias=lap:title` lists them. */
export const TITLE_KEY_ALIAS = "lap:title";
const MAX_INPUT_CHARS = 2_000;
const MAX_TITLE_CHARS = 80;

const PROMPT =
  "Write a title for this conversation between a user and an AI agent: at most 6 words, in the user's language, no quotes, no trailing period. Answer with the title only.";

/**
 * Session titles (docs/sessions.md "Titles"): generated once after a session's first completed turn
 * by a cheap model call through LAP's gateway, and renamed by people. A title someone set (at
 * creation or by rename) is never replaced: the generated one is written only over an empty title.
 * A failed title call is logged and changes nothing.
 */
export class TitleService {
  constructor(private readonly deps: TitleServiceDeps) {}

  get enabled() {
    return Boolean(this.deps.model && this.deps.call);
  }

  /** `PATCH /api/sessions/:id`: who may act on the session may rename it (server/auth/policy.ts). */
  async rename(sessionId: string, input: UpdateSessionInput, actor: Principal = SYSTEM): Promise<SessionView> {
    const session = await this.deps.sessions.row(sessionId, actor, "act");
    const title = input.title.trim();
    await this.deps.database.transaction(async (tx) => {
      await tx.query("update sessions set title = $2, updated_at = now() where id = $1", [sessionId, title]);
      await (this.deps.audit ?? NO_AUDIT).record(tx, {
        actor,
        action: "session.rename",
        objectType: "session",
        objectId: sessionId,
        teamId: session.teamId,
        before: { title: session.title },
        after: { title },
      });
    });
    return this.deps.sessions.get(sessionId, actor);
  }

  /** Called by the worker when a turn completed; never throws (the session carries on either way). */
  afterTurn(sessionId: string): void {
    if (!this.enabled) return;
    void this.generate(sessionId).catch((err) =>
      this.deps.log.warn({ err: (err as Error).message, session_id: sessionId }, "session title not generated"),
    );
  }

  /** Generates and stores the title when this was the first turn and the title is still empty; returns it (null: skipped). */
  async generate(sessionId: string): Promise<string | null> {
    if (!this.deps.model || !this.deps.call) return null;
    const [s] = await this.deps.database.query<{
      title: string;
      team_id: string;
      owner_user_id: string | null;
      agent_id: string | null;
      model: string | null;
      generate_titles: boolean | null;
      done: number;
    }>(
      `select s.title, s.team_id, s.owner_user_id, s.agent_id, a.model, a.generate_titles,
              (select count(*)::int from session_turns t where t.session_id = s.id and t.status = 'completed') as done
         from sessions s left join agents a on a.id = s.agent_id where s.id = $1`,
      [sessionId],
    );
    // An agent may opt out (`generate_titles: false`); a deleted agent's sessions get none either.
    if (s?.title !== "" || s.done !== 1 || !s.generate_titles) return null;
    const model = this.deps.model === "agent" ? s.model : this.deps.model;
    if (!model) return null;
    const transcript = await this.transcript(sessionId);
    if (!transcript) return null;
    const answer = await this.deps.call(
      {
        model,
        max_tokens: 32,
        temperature: 0.2,
        messages: [
          { role: "system", content: PROMPT },
          { role: "user", content: transcript },
        ],
      },
      { sessionId, agentId: s.agent_id, teamId: s.team_id, userId: s.owner_user_id, keyAlias: TITLE_KEY_ALIAS },
    );
    const title = cleanTitle(answer?.choices?.[0]?.message?.content);
    if (!title) throw new Error("the title model answered with no usable text");
    // Only over an empty title: a rename that landed while the model was writing wins.
    const written = await this.deps.database.query(
      "update sessions set title = $2, updated_at = now() where id = $1 and title = '' returning id",
      [sessionId, title],
    );
    return written.length ? title : null;
  }

  /** The first user message and the agent's answer to it (its messages until the next user message), as plain text, capped. */
  private async transcript(sessionId: string): Promise<string> {
    const rows = await this.deps.database.query<{ type: string; text: string | null }>(
      `select type, (select string_agg(x, ' ') from jsonb_array_elements_text(jsonb_path_query_array(data, '$.content[*].text')) x) as text
         from session_events where session_id = $1 and type in ('user.message', 'agent.message') order by seq limit 200`,
      [sessionId],
    );
    const first = rows.findIndex((r) => r.type === "user.message");
    if (first < 0) return "";
    const user = rows[first]!.text ?? "";
    const next = rows.findIndex((r, i) => i > first && r.type === "user.message");
    const agent = rows
      .slice(first + 1, next < 0 ? undefined : next)
      .map((r) => r.text ?? "")
      .join(" ")
      .replace(/\s+/g, " ")
      .trim();
    if (!user.trim()) return "";
    return `User: ${user.slice(0, MAX_INPUT_CHARS)}${agent ? `\n\nAgent: ${agent.slice(0, MAX_INPUT_CHARS)}` : ""}`;
  }
}

/** One line of plain text: no quotes around it, no control characters, no trailing period, capped. */
export function cleanTitle(raw: unknown): string {
  if (typeof raw !== "string") return "";
  const line =
    raw
      .split(/\r?\n/)
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? "";
  // eslint-disable-next-line no-control-regex
  let t = line.replace(/[\u0000-\u001f\u007f\uE000\uE001]/g, "").replace(/^(title:\s*)/i, "");
  for (let i = 0; i < 3; i++) t = t.replace(/^["'“”‘’`*#\s]+|["'“”‘’`*\s.]+$/g, "");
  if (t.length > MAX_TITLE_CHARS) t = `${t.slice(0, MAX_TITLE_CHARS - 1).trimEnd()}…`;
  return t;
}
