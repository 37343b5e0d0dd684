import type { ErrorFormat } from "../http/errors";
import type { ApiError } from "../lib/errors";

/** Paths whose errors use OpenAI's format, which every LLM SDK parses (LiteLLM does the same). */
const GATEWAY_PREFIXES = ["/v1/", "/chat/", "/completions", "/embeddings", "/responses", "/key/", "/spend/", "/model/"];
export const isGatewayPath = (path: string) => GATEWAY_PREFIXES.some((p) => path.startsWith(p));

const TYPE_BY_STATUS: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  408: "timeout_error",
  413: "invalid_request_error",
  429: "rate_limit_error",
  503: "service_unavailable",
};

/** `{ error: { message, type, param, code } }`; Anthropic's SDK also reads `type: "error"` on /v1/messages. */
export function openAiErrorBody(err: ApiError, path: string, requestId?: string) {
  return {
    ...(path.startsWith("/v1/messages") ? { type: "error" } : {}),
    error: {
      message: err.message,
      type: TYPE_BY_STATUS[err.status] ?? (err.status >= 500 ? "api_error" : "invalid_request_error"),
      param: err.fields?.[0]?.field ?? null,
      code: err.code,
      ...(err.fields?.length ? { fields: err.fields } : {}),
      ...(requestId ? { request_id: requestId } : {}),
    },
  };
}

/**
 * The gateway's own error answers (wired in server/app.ts): OpenAI's format, which the SDKs parse,
 * a zero cost header as LiteLLM sends, and `onRefusal` sees each one (the gateway logs refused keys).
 */
export function gatewayErrorFormat(onRefusal?: (request: Request, error: ApiError, requestId: string | undefined) => void): ErrorFormat {
  return {
    owns: isGatewayPath,
    render(error, { request, path, requestId, headers }) {
      onRefusal?.(request, error, requestId);
      headers["x-litellm-response-cost"] = "0";
      return openAiErrorBody(error, path, requestId);
    },
  };
}
