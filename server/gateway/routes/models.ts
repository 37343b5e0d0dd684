import { Elysia } from "elysia";
import { requireAdmin, type AuthGuard } from "../../http/auth-guard";
import { requestIdOf } from "../../http/request-context";
import { badRequest, conflict } from "../../lib/errors";
import { litellmMissingConfig, litellmSettings } from "../external-litellm";
import {
  deleteModelBody,
  gatewaySettingsView,
  modelDeletedView,
  modelInfoView,
  modelTestView,
  newModelBody,
  testModelBody,
  updateModelBody,
} from "../model";
import { deploymentView } from "../models/service";
import type { GatewayService, GatewaySettings } from "../service";

/** Adding and removing deployments (LiteLLM's /model/new, /model/delete) and testing a model. Admin only. */
export function modelAdminRoutes(deps: { gateway: GatewayService; guard: AuthGuard; settings: GatewaySettings }) {
  const g = deps.gateway;
  const ready = async () => {
    const waiting = g.ready();
    if (waiting) await waiting;
  };
  return new Elysia({ detail: { tags: ["LLM gateway models"] } })
    .use(deps.guard)
    .onTransform(requireAdmin)
    .post(
      "/model/new",
      async ({ body, principal }) => {
        await ready();
        let added: Awaited<ReturnType<typeof g.models.add>>;
        try {
          added = await g.models.add(body, principal);
        } catch (err) {
          if ((err as Error).message.includes("api_base is required"))
            throw badRequest((err as Error).message, [{ field: "litellm_params.api_base", message: "required for this provider" }]);
          throw err;
        }
        await g.reload();
        return deploymentView(added);
      },
      {
        body: newModelBody,
        response: modelInfoView,
        detail: { summary: "Add a deployment (its provider key is encrypted at rest and never shown)" },
      },
    )
    .post(
      "/model/update",
      async ({ body, principal }) => {
        await ready();
        const current = g.router.deployments().find((d) => d.id === body.model_info.id);
        if (current && current.source !== "database") {
          throw conflict(
            `Model ${current.modelName} (${current.id}) comes from ${current.source === "config" ? "the config file (LAP_GATEWAY_CONFIG)" : "LITELLM_API_BASE"}; change it there`,
          );
        }
        let updated: Awaited<ReturnType<typeof g.models.update>>;
        try {
          updated = await g.models.update(body, principal);
        } catch (err) {
          if ((err as Error).message.includes("api_base is required"))
            throw badRequest((err as Error).message, [{ field: "litellm_params.api_base", message: "required for this provider" }]);
          throw err;
        }
        await g.reload();
        return deploymentView(updated);
      },
      {
        body: updateModelBody,
        response: modelInfoView,
        detail: { summary: "Change a stored deployment: its name, upstream model, API base, key or prices (model_info.id names it)" },
      },
    )
    .post(
      "/model/delete",
      async ({ body, principal }) => {
        await ready();
        await g.models.delete(body.id, principal);
        await g.reload();
        return { deleted: body.id };
      },
      { body: deleteModelBody, response: modelDeletedView, detail: { summary: "Remove a stored deployment" } },
    )
    .post(
      "/api/gateway/models/test",
      async ({ body, principal, request }) => {
        const requestId = requestIdOf(request) ?? crypto.randomUUID();
        await ready();
        const started = performance.now();
        const probe = new Request(request.url, { method: "POST", headers: { "content-type": "application/json" } });
        let result: { ok: boolean; model: string; latency_ms: number; reply?: string | null; deployment?: string | null; error?: string };
        try {
          const res = await g.proxy.handle(
            "chat",
            { model: body.model, messages: [{ role: "user", content: "Reply with the single word: ok" }], max_tokens: 5 },
            { principal, request: probe, requestId },
          );
          const json = (await res.json()) as { choices?: { message?: { content?: string } }[] };
          result = {
            ok: true,
            model: body.model,
            latency_ms: Math.round(performance.now() - started),
            reply: json.choices?.[0]?.message?.content ?? null,
            deployment: res.headers.get("x-litellm-model-id"),
          };
        } catch (err) {
          result = { ok: false, model: body.model, latency_ms: Math.round(performance.now() - started), error: (err as Error).message };
        }
        // Kept, so the model list and the agent form show which models answered (not only this page).
        await g.models.recordCheck(body.model, { ok: result.ok, latency_ms: result.latency_ms, error: result.error ?? null });
        return result;
      },
      {
        body: testModelBody,
        response: modelTestView,
        detail: { summary: "Send a one-word prompt to a model, report whether it answered, and keep the result (model_info.last_test)" },
      },
    )
    .get(
      "/api/gateway/settings",
      () => {
        const s = litellmSettings(deps.settings);
        if (s.mode === "litellm" && s.missing.length) throw litellmMissingConfig(s.missing);
        return { ...s, router: g.router.routerSettings, spend_queue: g.spend.stats, config_file: deps.settings.LAP_GATEWAY_CONFIG ?? null };
      },
      { response: gatewaySettingsView, detail: { summary: "LLM settings: provider mode, external LiteLLM, router settings, spend queue" } },
    );
}
