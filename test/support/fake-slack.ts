/**
 * Stands for Slack's Web API (https://slack.com/api/<method>), which tests cannot reach.
 * Speaks its wire format: POST, form-encoded or JSON bodies, `Authorization: Bearer <token>`,
 * HTTP 200 with `{ ok, error? }`, and HTTP 429 with a `Retry-After` header when rate limited.
 * Implements the methods LAP calls (auth.test, chat.postMessage, chat.update, chat.postEphemeral,
 * reactions.add, conversations.replies, users.info, oauth.v2.access, views.open, views.update), keeps
 * messages and open modals so tests can read a thread as a person would, and records every call.
 * Modals follow Slack's rules: `views.open` needs a trigger_id Slack minted for an interaction
 * (`issueTrigger`), usable once within 3 seconds (`invalid_trigger_id`, `exchanged_trigger_id`,
 * `expired_trigger_id`), and `viewSubmission` / `viewClosed` build the payloads Slack would then send.
 * Files shared in a message (`addFile`) are served as files.slack.com serves `url_private_download`:
 * GET with the bot token as Bearer, else Slack's sign-in page as HTML (HTTP 200, as Slack does);
 * each download is recorded as a `files.download` call.
 */
export interface FakeSlackCall {
  method: string;
  args: Record<string, any>;
  at: number;
  status: number;
  error?: string;
}

export interface FakeMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text: string;
  blocks?: any[];
  edits: number;
  reactions: string[];
  user?: string;
  bot_id?: string;
}

export interface FakeView {
  id: string;
  team_id: string;
  type: string;
  callback_id?: string;
  private_metadata: string;
  title?: unknown;
  submit?: unknown;
  close?: unknown;
  blocks: any[];
  notify_on_close: boolean;
  hash: string;
  state: { values: Record<string, Record<string, { type: string; value: string | null }>> };
}

/** How long Slack accepts a trigger_id after the interaction. */
const TRIGGER_TTL_MS = 3000;

interface Team {
  teamId: string;
  teamName: string;
  botUserId: string;
  botId: string;
}

export class FakeSlack {
  readonly calls: FakeSlackCall[] = [];
  readonly messages: FakeMessage[] = [];
  private server?: ReturnType<typeof Bun.serve>;
  private tokens = new Map<string, Team>();
  private oauthCodes = new Map<string, { token: string; team: Team; scope: string }>();
  private clientCreds?: { id: string; secret: string };
  /** Per method: at most `perWindow` calls per `windowMs` (per channel when the call has one). */
  private limits = new Map<string, { perWindow: number; windowMs: number; retryAfterSec: number }>();
  private forced = new Map<string, Array<{ status: 429; retryAfterSec: number } | { error: string }>>();
  private seq = 0;
  private clock = 1_700_000_000;
  /** Open modals by view id, and the trigger ids minted for interactions (issued at, used). */
  readonly views = new Map<string, FakeView>();
  private triggers = new Map<string, { at: number; used: boolean }>();
  private files = new Map<string, { bytes: Uint8Array; mimetype: string }>();

  async start() {
    this.server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (req) => this.handle(req) });
    return this;
  }
  get apiUrl() {
    return `http://127.0.0.1:${this.server!.port}/api/`;
  }
  async stop() {
    await this.server?.stop(true);
  }

  addWorkspace(token: string, team: Partial<Team> & { teamId: string }) {
    this.tokens.set(token, { teamName: `Team ${team.teamId}`, botUserId: `UBOT${team.teamId}`, botId: `BBOT${team.teamId}`, ...team });
    return this;
  }
  setClient(id: string, secret: string) {
    this.clientCreds = { id, secret };
  }
  /** An OAuth code the fake will exchange for `token` in `team` (what Slack's consent screen would mint). */
  addOauthCode(code: string, token: string, team: Partial<Team> & { teamId: string }, scope = "app_mentions:read,chat:write") {
    this.addWorkspace(token, team);
    this.oauthCodes.set(code, { token, team: this.tokens.get(token)!, scope });
  }
  rateLimit(method: string, perWindow: number, windowMs = 1000, retryAfterSec = 1) {
    this.limits.set(method, { perWindow, windowMs, retryAfterSec });
  }
  /** The next call(s) to `method` answer 429 with this Retry-After, or `{ok:false, error}`. */
  failNext(method: string, failure: { status: 429; retryAfterSec: number } | { error: string }, times = 1) {
    const list = this.forced.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push(failure);
    this.forced.set(method, list);
  }
  callsTo(method: string, ok = true) {
    return this.calls.filter((c) => c.method === method && (!ok || (c.status === 200 && !c.error)));
  }
  /** Replies in a thread (root excluded), as a person reading it would see them, in order. */
  thread(channel: string, threadTs: string) {
    return this.messages.filter((m) => m.channel === channel && m.thread_ts === threadTs);
  }
  /** A user message that Slack would have stored, so conversations.replies can return it. */
  addUserMessage(channel: string, ts: string, text: string, user: string, thread_ts?: string) {
    this.messages.push({ channel, ts, text, thread_ts, edits: 0, reactions: [], user });
  }
  /** A trigger_id as Slack puts in an interaction payload; `ageMs` backdates it (expiry tests). */
  issueTrigger(ageMs = 0) {
    this.seq += 1;
    const id = `${this.clock + this.seq}.${this.seq}.${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
    this.triggers.set(id, { at: Date.now() - ageMs, used: false });
    return id;
  }
  /** The view_submission payload Slack sends when `user` submits the open modal with these inputs (by block_id). */
  viewSubmission(viewId: string, user: string, inputs: Record<string, string | null>) {
    const view = this.views.get(viewId);
    if (!view) throw new Error(`no open view ${viewId}`);
    const values: FakeView["state"]["values"] = {};
    for (const b of view.blocks) {
      if (b.type !== "input" || !b.block_id || !b.element?.action_id) continue;
      values[b.block_id] = { [b.element.action_id]: { type: b.element.type, value: inputs[b.block_id] ?? null } };
    }
    return {
      type: "view_submission",
      team: { id: view.team_id, domain: view.team_id.toLowerCase() },
      user: { id: user, username: `user-${user}`, name: `user-${user}`, team_id: view.team_id },
      api_app_id: "AFAKE",
      token: "deprecated-verification-token",
      trigger_id: this.issueTrigger(),
      view: { ...view, state: { values } },
      response_urls: [],
      is_enterprise_install: false,
      enterprise: null,
    };
  }
  /** The view_closed payload (Slack sends it only for modals opened with notify_on_close). */
  viewClosed(viewId: string, user: string) {
    const view = this.views.get(viewId);
    if (!view) throw new Error(`no open view ${viewId}`);
    return {
      type: "view_closed",
      team: { id: view.team_id, domain: view.team_id.toLowerCase() },
      user: { id: user, username: `user-${user}`, name: `user-${user}`, team_id: view.team_id },
      api_app_id: "AFAKE",
      token: "deprecated-verification-token",
      view,
      is_cleared: false,
      is_enterprise_install: false,
      enterprise: null,
    };
  }
  reset() {
    this.calls.length = 0;
    this.messages.length = 0;
    this.views.clear();
    this.triggers.clear();
    this.limits.clear();
    this.forced.clear();
  }

  private nextTs() {
    this.seq += 1;
    return `${this.clock + this.seq}.${String(this.seq).padStart(6, "0")}`;
  }

  /**
   * A file shared in a message: the Slack file object a message event's `files` carries, its
   * url_private_download on this fake. `size` may lie (Slack's own field), to test the cap.
   */
  addFile(bytes: Uint8Array, o: { name: string; mimetype: string; size?: number }) {
    this.seq += 1;
    const id = `F${String(this.seq).padStart(8, "0")}`;
    this.files.set(id, { bytes, mimetype: o.mimetype });
    const url = `${this.apiUrl.replace(/\/api\/$/, "")}/files-pri/T-${id}/download/${encodeURIComponent(o.name)}`;
    return {
      id,
      name: o.name,
      title: o.name,
      mimetype: o.mimetype,
      filetype: o.name.split(".").pop(),
      size: o.size ?? bytes.length,
      mode: "hosted",
      url_private: url,
      url_private_download: url,
    };
  }

  /** The whole fake as a fetch handler (tests under Node mount it on node:http). */
  async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const file = /^\/files-pri\/T-(F\d+)\//.exec(url.pathname);
    if (file) {
      const known = this.tokens.has(req.headers.get("authorization")?.replace(/^Bearer /, "") ?? "");
      const f = this.files.get(file[1]!);
      this.calls.push({
        method: "files.download",
        args: { id: file[1] },
        at: Date.now(),
        status: 200,
        error: known && f ? undefined : "not_authed",
      });
      if (!known || !f)
        return new Response("<!DOCTYPE html><html><body>Sign in to Slack</body></html>", { headers: { "content-type": "text/html" } });
      return new Response(f.bytes as Uint8Array<ArrayBuffer>, { headers: { "content-type": f.mimetype } });
    }
    const method = url.pathname.replace(/^\/api\//, "");
    const raw = await req.text();
    const type = req.headers.get("content-type") ?? "";
    let args: Record<string, any> = {};
    if (type.includes("application/json")) args = raw ? JSON.parse(raw) : {};
    else for (const [k, v] of new URLSearchParams(raw)) args[k] = v;
    for (const k of ["blocks", "attachments", "view"]) if (typeof args[k] === "string") args[k] = JSON.parse(args[k]);
    const record = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) => {
      this.calls.push({ method, args, at: Date.now(), status, error: body.ok === false ? String(body.error) : undefined });
      return Response.json(body, { status, headers });
    };

    const forced = this.forced.get(method)?.shift();
    if (forced && "status" in forced)
      return record(429, { ok: false, error: "ratelimited" }, { "retry-after": String(forced.retryAfterSec) });
    if (forced) return record(200, { ok: false, error: forced.error });
    const limit = this.limits.get(method);
    if (limit) {
      const now = Date.now();
      const recent = this.calls.filter(
        (c) => c.method === method && c.status === 200 && c.args.channel === args.channel && now - c.at < limit.windowMs,
      );
      if (recent.length >= limit.perWindow)
        return record(429, { ok: false, error: "ratelimited" }, { "retry-after": String(limit.retryAfterSec) });
    }

    if (method === "oauth.v2.access") {
      const basic = req.headers.get("authorization")?.replace(/^Basic /, "");
      const [id, secret] = basic ? Buffer.from(basic, "base64").toString().split(":") : [args.client_id, args.client_secret];
      if (!this.clientCreds || id !== this.clientCreds.id || secret !== this.clientCreds.secret)
        return record(200, { ok: false, error: "invalid_client_id" });
      const grant = this.oauthCodes.get(args.code);
      if (!grant) return record(200, { ok: false, error: "invalid_code" });
      this.oauthCodes.delete(args.code);
      return record(200, {
        ok: true,
        access_token: grant.token,
        token_type: "bot",
        scope: grant.scope,
        bot_user_id: grant.team.botUserId,
        app_id: "AFAKE",
        team: { id: grant.team.teamId, name: grant.team.teamName },
        enterprise: null,
        authed_user: { id: "UINSTALLER" },
      });
    }

    const token = req.headers.get("authorization")?.replace(/^Bearer /, "") ?? args.token;
    const team = token ? this.tokens.get(token) : undefined;
    if (!team) return record(200, { ok: false, error: token ? "invalid_auth" : "not_authed" });

    switch (method) {
      case "auth.test":
        return record(200, {
          ok: true,
          url: `https://${team.teamId}.slack.com/`,
          team: team.teamName,
          user: "lap",
          team_id: team.teamId,
          user_id: team.botUserId,
          bot_id: team.botId,
        });
      case "chat.postMessage": {
        if (!args.channel) return record(200, { ok: false, error: "channel_not_found" });
        const invalid = this.checkContent(args);
        if (invalid) return record(200, { ok: false, error: invalid });
        const msg: FakeMessage = {
          channel: args.channel,
          ts: this.nextTs(),
          thread_ts: args.thread_ts,
          text: args.text ?? "",
          blocks: args.blocks,
          edits: 0,
          reactions: [],
          bot_id: team.botId,
          user: team.botUserId,
        };
        this.messages.push(msg);
        return record(200, {
          ok: true,
          channel: msg.channel,
          ts: msg.ts,
          message: { text: msg.text, ts: msg.ts, thread_ts: msg.thread_ts, bot_id: team.botId },
        });
      }
      case "chat.update": {
        const msg = this.messages.find((m) => m.channel === args.channel && m.ts === args.ts);
        if (!msg) return record(200, { ok: false, error: "message_not_found" });
        const invalid = this.checkContent(args);
        if (invalid) return record(200, { ok: false, error: invalid });
        msg.text = args.text ?? msg.text;
        if (args.blocks !== undefined) msg.blocks = args.blocks;
        msg.edits += 1;
        return record(200, { ok: true, channel: msg.channel, ts: msg.ts, text: msg.text });
      }
      case "chat.postEphemeral":
        return record(200, { ok: true, message_ts: this.nextTs() });
      case "reactions.add": {
        const msg = this.messages.find((m) => m.channel === args.channel && m.ts === args.timestamp);
        if (msg?.reactions.includes(args.name)) return record(200, { ok: false, error: "already_reacted" });
        msg?.reactions.push(args.name);
        return record(200, { ok: true });
      }
      case "conversations.replies": {
        const list = this.messages.filter((m) => m.channel === args.channel && (m.ts === args.ts || m.thread_ts === args.ts));
        return record(200, {
          ok: true,
          messages: list.map((m) => ({ ts: m.ts, thread_ts: m.thread_ts, text: m.text, user: m.user, bot_id: m.bot_id })),
          has_more: false,
        });
      }
      case "views.open": {
        const trigger = this.triggers.get(args.trigger_id);
        if (!trigger) return record(200, { ok: false, error: "invalid_trigger_id" });
        if (trigger.used) return record(200, { ok: false, error: "exchanged_trigger_id" });
        if (Date.now() - trigger.at > TRIGGER_TTL_MS) return record(200, { ok: false, error: "expired_trigger_id" });
        const invalid = this.checkView(args.view);
        if (invalid) return record(200, { ok: false, error: "invalid_arguments", response_metadata: { messages: [invalid] } });
        trigger.used = true;
        const view = this.storeView(`V${String(++this.seq).padStart(10, "0")}`, team.teamId, args.view);
        return record(200, { ok: true, view });
      }
      case "views.update": {
        const current = args.view_id ? this.views.get(args.view_id) : undefined;
        if (!current) return record(200, { ok: false, error: "not_found" });
        if (args.hash && args.hash !== current.hash) return record(200, { ok: false, error: "hash_conflict" });
        const invalid = this.checkView(args.view);
        if (invalid) return record(200, { ok: false, error: "invalid_arguments", response_metadata: { messages: [invalid] } });
        return record(200, { ok: true, view: this.storeView(current.id, current.team_id, args.view) });
      }
      case "users.info":
        return record(200, { ok: true, user: { id: args.user, name: `user-${args.user}`, real_name: `User ${args.user}` } });
      default:
        return record(200, { ok: false, error: "unknown_method" });
    }
  }

  private storeView(id: string, teamId: string, v: Record<string, any>): FakeView {
    const view: FakeView = {
      id,
      team_id: teamId,
      type: v.type,
      callback_id: v.callback_id,
      private_metadata: v.private_metadata ?? "",
      title: v.title,
      submit: v.submit,
      close: v.close,
      blocks: v.blocks,
      notify_on_close: !!v.notify_on_close,
      hash: `${Date.now()}.${crypto.randomUUID().slice(0, 8)}`,
      state: { values: {} },
    };
    this.views.set(id, view);
    return view;
  }

  /** Slack's modal rules (the ones a mistake in LAP could break), as invalid_arguments messages. */
  private checkView(v: unknown): string | undefined {
    if (!v || typeof v !== "object") return "[ERROR] missing required field: view";
    const view = v as Record<string, any>;
    if (view.type !== "modal") return "[ERROR] must be a modal [json-pointer:/view/type]";
    if (typeof view.title?.text !== "string" || view.title.text.length > 24)
      return "[ERROR] must be less than 25 characters [json-pointer:/view/title/text]";
    if ((view.private_metadata ?? "").length > 3000)
      return "[ERROR] must be less than 3001 characters [json-pointer:/view/private_metadata]";
    if (!Array.isArray(view.blocks) || view.blocks.length > 100)
      return "[ERROR] must provide at most 100 blocks [json-pointer:/view/blocks]";
    const ids = new Set<string>();
    for (const [i, b] of view.blocks.entries()) {
      if (b.block_id && ids.has(b.block_id)) return `[ERROR] duplicate block_id [json-pointer:/view/blocks/${i}/block_id]`;
      if (b.block_id) ids.add(b.block_id);
      if (b.type === "input") {
        if (!view.submit) return "[ERROR] must provide submit when the view has input blocks [json-pointer:/view/submit]";
        if ((b.element?.max_length ?? 0) > 3000) return `[ERROR] must be at most 3000 [json-pointer:/view/blocks/${i}/element/max_length]`;
      }
    }
    return undefined;
  }

  /** Slack's own limits: text up to 40,000 characters, section text up to 3,000, at most 50 blocks. */
  private checkContent(args: Record<string, any>): string | undefined {
    if (!args.text && !args.blocks) return "no_text";
    if (typeof args.text === "string" && args.text.length > 40_000) return "msg_too_long";
    if (Array.isArray(args.blocks)) {
      if (args.blocks.length > 50) return "invalid_blocks";
      for (const b of args.blocks) if (b.type === "section" && (b.text?.text?.length ?? 0) > 3000) return "invalid_blocks";
    }
    return undefined;
  }
}
