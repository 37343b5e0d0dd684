import type { WebClient } from "@slack/web-api";
import type { Logger } from "../server/lib/logger";
import { escapeSlack, markdownToMrkdwn, splitMrkdwn } from "./mrkdwn";
import { retryAfterMs, sleep, slackErrorCode } from "./web";

export const THINKING = "_Thinking…_";
export const MAX_MESSAGE_CHARS = 3900;
const SECTION_CHARS = 2900;

export interface ReplyOptions {
  client: WebClient;
  channel: string;
  threadTs: string;
  sessionId: string;
  sessionUrl: string;
  log: Logger;
  /** Shown as the poster (needs chat:write.customize; dropped if the workspace did not grant it). */
  username?: string;
  /** Minimum gap between two writes (Slack allows about one per second per channel). */
  minIntervalMs?: number;
  maxChars?: number;
}

export type ReplyOutcome =
  | { kind: "ok" }
  | { kind: "error"; message: string }
  | { kind: "stopped" }
  | { kind: "timeout" }
  | { kind: "waiting" };

/**
 * One agent answer in a Slack thread: a placeholder, then the text streamed in by editing the
 * message at most once per interval (waiting out `Retry-After` when Slack says so), continued in
 * new messages past the length limit. The last message carries the activity line and the buttons.
 */
export class ReplyStream {
  private markdown = "";
  private tools = new Map<string, number>();
  private activity?: string;
  private outcome?: ReplyOutcome;
  private posted: Array<{ ts: string; sig: string }> = [];
  private lastWriteAt = 0;
  private blockedUntil = 0;
  private timer?: ReturnType<typeof setTimeout>;
  private inflight?: Promise<void>;
  private dirty = false;
  private lastError?: string;
  private username?: string;
  private readonly interval: number;
  private readonly maxChars: number;

  constructor(private readonly o: ReplyOptions) {
    this.interval = o.minIntervalMs ?? 1000;
    this.maxChars = o.maxChars ?? MAX_MESSAGE_CHARS;
    this.username = o.username;
  }

  get messageTs(): string[] {
    return this.posted.map((p) => p.ts);
  }

  /**
   * Posts the placeholder right away (waiting out rate limits): the user sees we are on it. Throws
   * when Slack refuses (e.g. `not_in_channel`), so the message is marked failed before its turn is queued.
   */
  async start() {
    for (let i = 0; i < 4 && this.posted.length === 0; i++) {
      await this.flush();
      if (this.posted.length === 0 && this.blockedUntil <= Date.now()) break;
      if (this.posted.length === 0) await sleep(this.blockedUntil - Date.now());
    }
    if (this.posted.length === 0) throw new Error(`could not post the reply: ${this.lastError ?? "rate limited"}`);
  }

  /** The reply's text so far (markdown). */
  get text(): string {
    return this.markdown;
  }

  append(text: string) {
    if (!text) return;
    this.markdown += text;
    this.activity = undefined;
    this.kick();
  }

  /** Replaces the whole text (when the final persisted answer differs from what streamed). */
  replace(text: string) {
    this.markdown = text;
    this.kick();
  }

  toolUsed(name: string) {
    this.tools.set(name, (this.tools.get(name) ?? 0) + 1);
    this.activity = `Using ${name}…`;
    this.kick();
  }

  async finish(outcome: ReplyOutcome) {
    this.outcome = outcome;
    this.activity = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (let i = 0; i < 6; i++) {
      await this.inflight;
      const wait = Math.max(this.lastWriteAt + this.interval, this.blockedUntil) - Date.now();
      if (wait > 0) await sleep(wait);
      this.dirty = false;
      await this.flush();
      if (!this.dirty) return;
    }
  }

  private kick() {
    if (this.outcome) return;
    this.dirty = true;
    if (this.timer || this.inflight) return;
    const wait = Math.max(this.lastWriteAt + this.interval, this.blockedUntil) - Date.now();
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.dirty = false;
        this.inflight = this.flush().finally(() => {
          this.inflight = undefined;
          if (this.dirty) this.kick();
        });
      },
      Math.max(0, wait),
    );
  }

  /** What each Slack message should say now. */
  private render(): Array<{ text: string; blocks: unknown[] }> {
    let body = markdownToMrkdwn(this.markdown.trim());
    const o = this.outcome;
    if (o?.kind === "error") body = `${body ? `${body}\n\n` : ""}:warning: *The agent run failed:* ${escapeSlack(o.message)}`;
    else if (o?.kind === "stopped") body = `${body ? `${body}\n\n` : ""}:octagonal_sign: _Stopped._`;
    else if (o?.kind === "waiting") body = `${body ? `${body}\n\n` : ""}:raising_hand: _Waiting for approval: see the buttons below._`;
    else if (o?.kind === "timeout") body = `${body ? `${body}\n\n` : ""}_Still working: follow the session in the dashboard._`;
    else if (!body) body = o ? "Done." : THINKING;
    const chunks = splitMrkdwn(body, this.maxChars);
    return chunks.map((chunk, i) => {
      const blocks: unknown[] = splitMrkdwn(chunk, SECTION_CHARS).map((t) => ({ type: "section", text: { type: "mrkdwn", text: t } }));
      if (i === chunks.length - 1) {
        const context = this.contextLine();
        if (context) blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: context }] });
        const buttons: unknown[] = [
          { type: "button", action_id: "lap_view_session", text: { type: "plain_text", text: "View session" }, url: this.o.sessionUrl },
        ];
        if (!o)
          buttons.push({
            type: "button",
            action_id: "lap_stop",
            style: "danger",
            text: { type: "plain_text", text: "Stop" },
            value: this.o.sessionId,
          });
        blocks.push({ type: "actions", block_id: "lap_reply_actions", elements: buttons });
      }
      return { text: chunk, blocks };
    });
  }

  private contextLine(): string | undefined {
    const summary = [...this.tools].map(([name, n]) => (n > 1 ? `${escapeSlack(name)} ×${n}` : escapeSlack(name))).join(", ");
    if (this.activity && !this.outcome) return `:gear: ${escapeSlack(this.activity)}${summary ? ` · used ${summary}` : ""}`;
    return summary ? `:hammer_and_wrench: Used ${summary}` : undefined;
  }

  /** Sends whatever changed: edits existing messages, posts continuations. Stops at a rate limit. */
  private async flush() {
    const want = this.render();
    for (let i = 0; i < want.length; i++) {
      const { text, blocks } = want[i]!;
      const sig = JSON.stringify(blocks);
      const have = this.posted[i];
      if (have?.sig === sig) continue;
      try {
        this.lastWriteAt = Date.now();
        if (have) {
          await this.o.client.chat.update({ channel: this.o.channel, ts: have.ts, text, blocks: blocks as never });
          have.sig = sig;
        } else {
          const post = (username?: string) =>
            this.o.client.chat.postMessage({
              channel: this.o.channel,
              thread_ts: this.o.threadTs,
              text,
              blocks: blocks as never,
              unfurl_links: false,
              ...(username ? { username } : {}),
            });
          const res = await post(this.username).catch((err) => {
            if (!this.username || slackErrorCode(err) !== "missing_scope") throw err;
            this.username = undefined; // an older install without chat:write.customize
            return post();
          });
          this.posted.push({ ts: res.ts!, sig });
        }
        // Spacing counts from when Slack answered, so a slow call never squeezes the next one closer.
        this.lastWriteAt = Date.now();
      } catch (err) {
        const wait = retryAfterMs(err);
        if (wait !== undefined) {
          this.blockedUntil = Date.now() + wait;
          this.dirty = true;
          return;
        }
        this.lastError = slackErrorCode(err);
        this.o.log.warn({ err: this.lastError, channel: this.o.channel }, "slack reply write failed");
        if (!have) return; // continuation messages must stay in order
      }
    }
  }
}
