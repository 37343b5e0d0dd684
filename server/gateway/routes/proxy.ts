import { Elysia } from "elysia";
import type { Principal } from "../../auth/model";
import type { AuthGuard } from "../../http/auth-guard";
import { requestIdOf } from "../../http/request-context";
import { callerLimits, modelRefusal } from "../proxy/model-access";
import { chatBody, completionsBody, countTokensBody, embeddingsBody, messagesBody, modelInfoListView, responsesBody } from "../model";
import { countTokens } from "../proxy/count-tokens";
import { hoistSystemMessages } from "../translate/anthropic-system";
import { deploymentView } from "../models/service";
import { priceOf } from "../spend/pricing";
import type { GatewayService } from "../service";
import type { InboundFormat, Json } from "../types";

/** The LLM API: OpenAI- and Anthropic-compatible routes (with LiteLLM's unversioned aliases). */
export function proxyRoutes(deps: { gateway: GatewayService; guard: AuthGuard }) {
  const g = deps.gateway;
  const call =
    (format: InboundFormat) =>
    async ({ body, principal, request }: { body: unknown; principal: Principal; request: Request }) => {
      const waiting = g.ready();
      if (waiting) await waiting;
      const normalized = format === "messages" ? hoistSystemMessages(body as Json) : (body as Json);
      return g.proxy.handle(format, normalized, { principal, request, requestId: requestIdOf(request) ?? crypto.randomUUID() });
    };
  const allowedModels = async (principal: Principal): Promise<string[]> => {
    const waiting = g.ready();
    if (waiting) await waiting;
    const limits = await callerLimits(g, principal);
    return g.router.modelGroups().filter((m) => m !== "*" && !modelRefusal(limits, m, m));
  };
  const detail = (summary: string) => ({ detail: { summary, tags: ["LLM gateway"] } });
  const modelList = async ({ principal }: { principal: Principal }) => ({
    object: "list",
    data: (await allowedModels(principal)).map((id) => ({ id, object: "model", created: 0, owned_by: "lap" })),
  });
  const modelInfo = async ({ principal }: { principal: Principal }) => {
    const allowed = new Set(await allowedModels(principal));
    const checks = await g.models.checks();
    return {
      data: g.router
        .deployments()
        .filter((d) => allowed.has(d.modelName))
        .map((d) => deploymentView(d, { priced: priceOf(d, d.upstreamModel, () => {}).known, lastTest: checks.get(d.modelName) ?? null })),
    };
  };
  return new Elysia({ detail: { tags: ["LLM gateway"] } })
    .use(deps.guard)
    .post("/v1/chat/completions", call("chat"), { body: chatBody, ...detail("OpenAI chat completions (streaming with stream: true)") })
    .post("/chat/completions", call("chat"), { body: chatBody, ...detail("Alias of /v1/chat/completions") })
    .post("/v1/messages", call("messages"), { body: messagesBody, ...detail("Anthropic Messages API") })
    .post(
      "/v1/messages/count_tokens",
      async ({ body, principal, request }) => {
        const waiting = g.ready();
        if (waiting) await waiting;
        return countTokens(g, body as Json, principal, request);
      },
      { body: countTokensBody, ...detail("Anthropic token counting (real for Anthropic deployments, estimated otherwise)") },
    )
    .post("/v1/responses", call("responses"), { body: responsesBody, ...detail("OpenAI Responses API") })
    .post("/responses", call("responses"), { body: responsesBody, ...detail("Alias of /v1/responses") })
    .post("/v1/completions", call("completions"), { body: completionsBody, ...detail("OpenAI legacy completions") })
    .post("/completions", call("completions"), { body: completionsBody, ...detail("Alias of /v1/completions") })
    .post("/v1/embeddings", call("embeddings"), { body: embeddingsBody, ...detail("OpenAI embeddings") })
    .post("/embeddings", call("embeddings"), { body: embeddingsBody, ...detail("Alias of /v1/embeddings") })
    .get("/v1/models", modelList, detail("Models this key may call (OpenAI list format)"))
    .get("/v1/model/info", modelInfo, {
      response: modelInfoListView,
      ...detail("Deployments behind each model (provider keys never shown)"),
    })
    .get("/model/info", modelInfo, { response: modelInfoListView, ...detail("Alias of /v1/model/info") });
}
