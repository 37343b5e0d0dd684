// Scripted model server: STANDS FOR AN LLM PROVIDER (OpenAI / Anthropic) that tests cannot reach.
// It speaks the three real wire formats the harness CLIs use, streaming and with tool calls:
//   POST /v1/chat/completions  (OpenAI Chat Completions: opencode)
//   POST /v1/messages          (Anthropic Messages: Claude Code, Claude Agent SDK)
//   POST /v1/responses         (OpenAI Responses: Codex)
//   GET  /v1/models
// One script (see script.ts) drives all three; every request is recorded (model, tools, auth).
// Listens on 127.0.0.1, port 0.
import { anthropicError, anthropicFrames, anthropicMessage, parseAnthropic } from "./formats/anthropic.ts";
import { chatCompletion, chatFrames, openaiError, parseChat } from "./formats/chat.ts";
import { parseResponses, responsesFrames, responsesJson } from "./formats/responses.ts";
import { sseResponse } from "./formats/sse.ts";
import { mediaIn, type RecordedMedia } from "./media.ts";
import { type Conversation, nextAction, type ScriptRule, toOutputParts } from "./script.ts";

export type RecordedRequest = {
  format: "chat" | "anthropic" | "responses";
  model: string;
  tools: string[];
  stream: boolean;
  authorization: string;
  /** The last user prompt in the request, to see what a call was about. */
  lastUserText: string;
  /** Every user and tool-result text in the request, joined: lets a test see the history it carried. */
  transcript: string;
  /** Images and documents anywhere in the request, with the block type that carried them (media.ts). */
  media: RecordedMedia[];
  /** The request's system text (Anthropic `system`, chat system/developer messages, Responses `instructions` and developer items). */
  system: string;
  /** Every text the request carried (system, messages, tool descriptions): what the model was given. */
  everything: string;
  at: number;
};

export type ScriptedModel = {
  url: string;
  requests: RecordedRequest[];
  /** Replace the script (rules accumulate per test otherwise). */
  setScript(rules: ScriptRule[]): void;
  /** Close every response held open by a `hang` step. */
  releaseHangs(): void;
  stop(): Promise<void>;
};

export type ScriptedModelOptions = {
  /** Model names the provider knows; others get the provider's 404. */
  models: string[];
  script?: ScriptRule[];
  /** When set, requests must carry this key (Bearer or x-api-key). */
  apiKey?: string;
};

export function startScriptedModel(options: ScriptedModelOptions): ScriptedModel {
  let rules = options.script ?? [];
  const requests: RecordedRequest[] = [];
  const openHangs = new Set<() => void>();
  const known = new Set(options.models);

  const handle = async (request: Request): Promise<Response> => {
    const path = new URL(request.url).pathname.replace(/^\/v1/, "");
    if (request.method === "GET" && path === "/models") {
      return Response.json({
        object: "list",
        data: options.models.map((id) => ({ id, object: "model", created: 0, owned_by: "scripted" })),
      });
    }
    const format =
      path === "/messages" ? "anthropic" : path === "/chat/completions" ? "chat" : path === "/responses" ? "responses" : undefined;
    if (!format || request.method !== "POST") return new Response("not found", { status: 404 });
    const body = await request.json().catch(() => ({}));
    const conversation = format === "anthropic" ? parseAnthropic(body) : format === "chat" ? parseChat(body) : parseResponses(body);
    const authorization = request.headers.get("authorization")?.replace(/^Bearer /, "") ?? request.headers.get("x-api-key") ?? "";
    record(format, conversation, authorization, body);
    const error = format === "anthropic" ? anthropicError : openaiError;
    if (options.apiKey && authorization !== options.apiKey) return error(401, "invalid api key");
    if (!known.has(conversation.model)) return error(404, `The model \`${conversation.model}\` does not exist`);

    // Side calls (titles, summaries) carry no tools: answer them with plain text.
    const action = conversation.tools.length ? nextAction(rules, conversation) : undefined;
    const parts = toOutputParts(action ?? { kind: "text", text: "Scripted reply." }, conversation.tools, "call");
    const hang = action?.kind === "hang";
    if (!conversation.stream) {
      const json =
        format === "anthropic"
          ? anthropicMessage(parts, conversation.model)
          : format === "chat"
            ? chatCompletion(parts, conversation.model)
            : responsesJson(parts, conversation.model);
      return Response.json(json);
    }
    const frames =
      format === "anthropic"
        ? anthropicFrames(parts, conversation.model, hang)
        : format === "chat"
          ? chatFrames(parts, conversation.model, hang)
          : responsesFrames(parts, conversation.model, hang);
    return sseResponse(frames, { hang, onOpen: (close) => openHangs.add(close) });
  };

  const record = (
    format: RecordedRequest["format"],
    conversation: Conversation & { stream: boolean },
    authorization: string,
    body: unknown,
  ) => {
    const users = conversation.messages.filter((message) => message.role === "user");
    requests.push({
      format,
      model: conversation.model,
      tools: conversation.tools.map((tool) => tool.name),
      stream: conversation.stream,
      authorization,
      lastUserText: users.at(-1)?.text ?? "",
      transcript: conversation.messages.map((message) => message.text).join("\n"),
      media: mediaIn(body),
      system: systemText(body),
      everything: allText(body),
      at: Date.now(),
    });
  };

  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, idleTimeout: 0, fetch: handle });
  return {
    url: `http://127.0.0.1:${server.port}`,
    requests,
    setScript(next) {
      rules = next;
    },
    releaseHangs() {
      for (const close of openHangs) close();
      openHangs.clear();
    },
    async stop() {
      for (const close of openHangs) close();
      await server.stop(true);
    },
  };
}

/** Text of content in any of the three wire formats (a string, or parts with `text`). */
function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content))
    return content.map((part) => (typeof part === "string" ? part : typeof part?.text === "string" ? part.text : "")).join("\n");
  return "";
}

function systemText(body: unknown): string {
  const b = (body ?? {}) as { system?: unknown; instructions?: unknown; messages?: unknown; input?: unknown };
  const parts = [textOf(b.system), textOf(b.instructions)];
  for (const list of [b.messages, b.input]) {
    if (!Array.isArray(list)) continue;
    for (const item of list as Array<{ role?: string; content?: unknown }>)
      if (item?.role === "system" || item?.role === "developer") parts.push(textOf(item.content));
  }
  return parts.filter(Boolean).join("\n");
}

/** Every string in the body, joined. */
function allText(body: unknown): string {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === "string") out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(body);
  return out.join("\n");
}
