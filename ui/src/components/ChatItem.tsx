import { A } from "@solidjs/router";
import { Match, Show, Switch } from "solid-js";
import type { ApprovalView, SpendLog } from "../lib/api";
import type { ChatItem } from "../lib/chat-items";
import { renderMarkdown } from "../lib/markdown";
import { MessageAttachments } from "./Attachments";
import { ToolCard } from "./ToolCard";
import { TurnUsage } from "./TurnUsage";

/** One entry of the chat: a message, a tool call (with its approval), a turn's usage line or a note. */
export function ChatItemView(props: {
  item: ChatItem;
  sessionId: string;
  /** Turn ids whose user message is still queued. */
  queued: Set<string | null>;
  approvalFor: (askSeq: number) => ApprovalView | undefined;
  onDecided: (a: ApprovalView) => void;
  usageRows: SpendLog[] | null | undefined;
  /** The agent's model, for the error box's link to its row on Models & providers. */
  model?: string;
}) {
  return (
    <Switch>
      <Match when={props.item.kind === "user" && props.item}>
        {(u) => (
          <div class="msg user" data-testid="msg-user">
            <div class="msg-body">{u().text}</div>
            <MessageAttachments sessionId={props.sessionId} content={u().content} />
            <Show when={props.queued.has(u().turnId)}>
              <span class="badge warn" data-testid="queued">
                queued
              </span>
            </Show>
          </div>
        )}
      </Match>
      <Match when={props.item.kind === "assistant" && props.item}>
        {(a) => (
          <>
            <div class="msg assistant" data-testid="msg-assistant" innerHTML={renderMarkdown(a().text)} />
            <Show when={a().incomplete}>
              <div class="muted note" data-testid="msg-incomplete">
                The reply was cut short
              </div>
            </Show>
          </>
        )}
      </Match>
      <Match when={props.item.kind === "thinking" && props.item}>
        {(t) => (
          <details class="msg thinking">
            <summary>Thinking</summary>
            <div>{t().text}</div>
          </details>
        )}
      </Match>
      <Match when={props.item.kind === "tool" && props.item}>
        {(t) => <ToolCard tool={t()} approval={t().ask ? props.approvalFor(t().seq) : undefined} onDecided={props.onDecided} />}
      </Match>
      <Match when={props.item.kind === "turn" && props.item}>{(turn) => <TurnUsage rows={props.usageRows} turn={turn()} />}</Match>
      <Match when={props.item.kind === "error" && props.item}>
        {(x) => (
          <div class="alert" role="alert" data-testid="msg-error">
            <div>{x().text}</div>
            <Show when={props.model}>
              {(model) => (
                <div class="alert-help" data-testid="error-model-help">
                  The agent's model is{" "}
                  <A href={`/gateway/models?model=${encodeURIComponent(model())}`} data-testid="error-model-link">
                    {model()}
                  </A>
                  : open its row in Models &amp; providers and press <strong>Test</strong> to see whether it answers.
                </div>
              )}
            </Show>
          </div>
        )}
      </Match>
      <Match when={props.item.kind === "note" && props.item}>{(n) => <div class="muted note">{n().text}</div>}</Match>
      <Match when={props.item.kind === "pull_request" && props.item}>
        {(pr) => (
          <div class="note pull-request" data-testid="pull-request">
            Pull request opened:{" "}
            <a href={pr().url} target="_blank" rel="noopener noreferrer">
              {pr().repository ?? "repository"}#{pr().number ?? "?"}
              {pr().title ? ` ${pr().title}` : ""}
            </a>
          </div>
        )}
      </Match>
    </Switch>
  );
}
