/**
 * For each (caller format, provider format) pair: the upstream path, the upstream body, and how the
 * answer (and its stream) is turned back into the caller's format. Same format on both sides is a
 * pass-through: the upstream bytes are returned untouched.
 */
import { ApiError } from "../../lib/errors";
import { AnthropicToChatStream, anthropicResponseToChat, chatRequestToAnthropic } from "../translate/chat-to-anthropic";
import { ChatToAnthropicStream, anthropicRequestToChat, chatResponseToAnthropic } from "../translate/anthropic-to-chat";
import { ChainedStream, ChatToResponsesStream, chatResponseToResponses, responsesRequestToChat } from "../translate/responses";
import type { StreamTranslator } from "../translate/sse";
import type { InboundFormat, Json, ProviderKind } from "../types";

export interface Plan {
  path: string;
  body: Json;
  /** Undefined: pass the upstream body through as it is. */
  translateJson?: (upstream: Json) => Json;
  translateStream?: (onUsage: (input: number, output: number) => void) => StreamTranslator;
}

type UsageFn = (input: number, output: number) => void;

export function planFor(format: InboundFormat, provider: ProviderKind, body: Json, upstreamModel: string, publicModel: string): Plan {
  const stream = body.stream === true;
  switch (`${format}>${provider}`) {
    case "chat>openai":
      return {
        path: "/chat/completions",
        // Ask for the usage chunk so the spend log has token counts for streams.
        body: { ...body, model: upstreamModel, ...(stream ? { stream_options: { ...body.stream_options, include_usage: true } } : {}) },
      };
    case "chat>anthropic": {
      const includeUsage = body.stream_options?.include_usage === true;
      return {
        path: "/v1/messages",
        body: chatRequestToAnthropic(body, upstreamModel),
        translateJson: (r) => anthropicResponseToChat(r, publicModel),
        translateStream: (u: UsageFn) => new AnthropicToChatStream(publicModel, includeUsage, u),
      };
    }
    case "messages>anthropic":
      return { path: "/v1/messages", body: { ...body, model: upstreamModel } };
    case "messages>openai":
      return {
        path: "/chat/completions",
        body: anthropicRequestToChat(body, upstreamModel),
        translateJson: (r) => chatResponseToAnthropic(r, publicModel),
        translateStream: (u: UsageFn) => new ChatToAnthropicStream(publicModel, u),
      };
    case "responses>openai":
      return {
        path: "/chat/completions",
        body: responsesRequestToChat(body, upstreamModel),
        translateJson: (r) => chatResponseToResponses(r, publicModel, body),
        translateStream: (u: UsageFn) => new ChatToResponsesStream(publicModel, body, u),
      };
    case "responses>anthropic": {
      const chat = responsesRequestToChat(body, upstreamModel);
      return {
        path: "/v1/messages",
        body: chatRequestToAnthropic(chat, upstreamModel),
        translateJson: (r) => chatResponseToResponses(anthropicResponseToChat(r, publicModel), publicModel, body),
        translateStream: (u: UsageFn) =>
          new ChainedStream(new AnthropicToChatStream(publicModel, true, () => {}), new ChatToResponsesStream(publicModel, body, u)),
      };
    }
    case "completions>openai":
      return {
        path: "/completions",
        body: { ...body, model: upstreamModel, ...(stream ? { stream_options: { include_usage: true } } : {}) },
      };
    case "embeddings>openai":
      return { path: "/embeddings", body: { ...body, model: upstreamModel } };
    default:
      throw new ApiError(
        400,
        "unsupported_for_provider",
        `/${format === "completions" ? "v1/completions" : "v1/embeddings"} is not available for the ${provider} deployment of ${publicModel}`,
        [{ field: "model", message: "this model's provider does not support this endpoint" }],
      );
  }
}
