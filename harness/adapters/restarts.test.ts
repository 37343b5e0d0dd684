// A CLI's model call cut by a LAP restart and tried again (restarts.ts): each translator turns the CLI's
// own retry notice, as the real CLIs printed it when LAP was SIGKILLed mid-reply (the live runs are
// test/support/cli-restart-contract.ts), into one `restarted` marker after the cut text, and nothing
// when no text had been streamed; DeepAgents' runner retries only when the gateway never answered.
import { expect, test } from "bun:test";
import { translateClaudeLine } from "./claude-code/translate.ts";
import { CodexTranslator } from "./codex/translate.ts";
import { gatewayUnreachable } from "./deepagents/runner-protocol.ts";
import { OpencodeTranslator } from "./opencode/translate.ts";
import { RetriedResponses } from "./restarts.ts";
import { events as ev, type HarnessEvent } from "./types.ts";

const marker = (attempt: number) =>
  expect.objectContaining({ type: "agent.message", content: [], restarted: expect.objectContaining({ attempt }) });

test("RetriedResponses: a marker only after streamed reply text; a tool call or the turn's end closes the message", () => {
  const retries = new RetriedResponses();
  expect(retries.retried("before any text")).toEqual([]);
  retries.seen(ev.thinking("hmm"));
  expect(retries.retried("thinking is not the reply")).toEqual([]);
  retries.seen(ev.message("Let me"));
  expect(retries.retried("cut")).toEqual([marker(1)]);
  // The retry itself failed before any text: no second marker.
  expect(retries.retried("cut again")).toEqual([]);
  retries.seen(ev.message("Done. "));
  retries.seen(ev.toolUse("t1", "Bash", {}));
  expect(retries.retried("the next call")).toEqual([]);
  retries.seen(ev.message("again"));
  expect(retries.retried("cut")).toEqual([marker(2)]);
  retries.seen(ev.message(""));
  expect(retries.retried("an empty piece is no text")).toEqual([]);
});

test("claude-code: `api_retry` after streamed text is a restart; the retry's own text follows", () => {
  const claude = (record: unknown) => translateClaudeLine(JSON.stringify(record), { interrupted: false, model: "m1" });
  const retry = {
    type: "system",
    subtype: "api_retry",
    attempt: 1,
    max_retries: 10,
    retry_delay_ms: 594,
    error_status: null,
    error: "unknown",
  };
  expect(claude(retry).retry).toBe("claude retried its model call (attempt 1: unknown)");
  expect(claude({ type: "system", subtype: "status", status: "requesting" }).retry).toBeUndefined();
  // The cut message's own end carries `abandoned_blocks`: not an event.
  expect(claude({ type: "stream_event", event: { type: "message_stop" }, abandoned_blocks: { from_block_index: 0 } }).events).toEqual([]);
});

test("codex: `error` with willRetry after streamed text is a restart; a final error is not", () => {
  const codex = new CodexTranslator("m1");
  const delta = (text: string) => codex.translate({ method: "item/agentMessage/delta", params: { itemId: "msg_1", delta: text } }).events;
  const error = (willRetry: boolean) =>
    codex.translate({
      method: "error",
      params: {
        error: {
          message: "Reconnecting... 1/5",
          codexErrorInfo: { responseStreamDisconnected: { httpStatusCode: null } },
          additionalDetails: "stream disconnected before completion: Transport error: network error: error decoding response body",
        },
        willRetry,
      },
    }).events;
  expect(error(true)).toEqual([]);
  expect(delta("Let me think")).toEqual([ev.message("Let me think")]);
  const [restarted] = error(true) as [HarnessEvent & { restarted: { reason: string } }];
  expect(restarted).toEqual(marker(1));
  expect(restarted.restarted.reason).toContain("Reconnecting... 1/5: stream disconnected");
  delta("partial");
  expect(error(false)).toEqual([]);
});

test("opencode: `session.status` retry of this session after streamed text is a restart; another session's is not", () => {
  const opencode = new OpencodeTranslator(() => "ses_1", "m1");
  opencode.translate({ type: "message.updated", properties: { info: { id: "msg_a", sessionID: "ses_1", role: "assistant" } } });
  opencode.translate({
    type: "message.part.updated",
    properties: { part: { id: "prt_1", messageID: "msg_a", sessionID: "ses_1", type: "text", text: "" } },
  });
  expect(
    opencode.translate({
      type: "message.part.delta",
      properties: { sessionID: "ses_1", messageID: "msg_a", partID: "prt_1", field: "text", delta: "Let me" },
    }),
  ).toEqual([ev.message("Let me")]);
  const retry = (sessionID: string) =>
    opencode.translate({
      type: "session.status",
      properties: { sessionID, status: { type: "retry", attempt: 1, message: "Connection reset by server", next: 1 } },
    });
  expect(retry("ses_other")).toEqual([]);
  expect(opencode.translate({ type: "session.status", properties: { sessionID: "ses_1", status: { type: "busy" } } })).toEqual([]);
  const [restarted] = retry("ses_1") as [HarnessEvent & { restarted: { reason: string } }];
  expect(restarted).toEqual(marker(1));
  expect(restarted.restarted.reason).toBe("opencode: Connection reset by server");
  expect(retry("ses_1")).toEqual([]);
});

test("deepagents: only a failure that never reached the gateway is retried, never an answer from it", () => {
  const reset = Object.assign(new Error("ECONNRESET: The socket connection was closed unexpectedly."), { code: "ECONNRESET" });
  expect(gatewayUnreachable(reset)).toBe(true);
  expect(gatewayUnreachable(Object.assign(new Error("Connection error."), { name: "APIConnectionError", cause: reset }))).toBe(true);
  expect(gatewayUnreachable(new Error("Unable to connect. Is the computer able to access the url?"))).toBe(true);
  // The gateway answered: a status anywhere in the chain, even with a network word in the text.
  expect(gatewayUnreachable(Object.assign(new Error("502 upstream ECONNRESET"), { status: 502 }))).toBe(false);
  expect(
    gatewayUnreachable(Object.assign(new Error("wrapped"), { cause: Object.assign(new Error("404 no such model"), { status: 404 }) })),
  ).toBe(false);
  // Anything else is the harness failing, not LAP restarting.
  expect(gatewayUnreachable(new Error("tool schema is invalid"))).toBe(false);
  expect(gatewayUnreachable(undefined)).toBe(false);
});
