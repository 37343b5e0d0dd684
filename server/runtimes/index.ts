import { Elysia } from "elysia";
import { z } from "zod";
import { requireAdmin, type AuthGuard } from "../http/auth-guard";
import { createRuntimeBody, runtimeIdParams, runtimeView } from "./model";
import type { RuntimeService } from "./service";

/** Runtime registry: admin only, because runtimes hold credentials; users list what their agents may use. */
export function runtimeRoutes(deps: { runtimes: RuntimeService; guard: AuthGuard }) {
  const list = new Elysia({ prefix: "/api/runtimes", detail: { tags: ["Runtimes"] } })
    .use(deps.guard)
    .get("", async ({ principal }) => ({ data: await deps.runtimes.list(principal) }), {
      response: z.object({ data: z.array(runtimeView) }),
      detail: { summary: "List runtimes (keys are never returned; a user sees org-wide ones and its teams', without URLs)" },
    });
  const admin = new Elysia({ prefix: "/api/runtimes", detail: { tags: ["Runtimes"] } })
    .use(deps.guard)
    .onTransform(requireAdmin)
    .post(
      "",
      async ({ body, set, principal }) => {
        set.status = 201;
        return deps.runtimes.create(body, principal);
      },
      { body: createRuntimeBody, response: { 201: runtimeView }, detail: { summary: "Register a runtime; its API key is encrypted at rest" } },
    )
    .get("/:id", ({ params }) => deps.runtimes.get(params.id), { params: runtimeIdParams, response: runtimeView })
    .post("/:id/test", ({ params }) => deps.runtimes.test(params.id), {
      params: runtimeIdParams,
      response: runtimeView,
      detail: { summary: "Call the runtime with its key and record the result" },
    })
    .delete("/:id", ({ params, principal }) => deps.runtimes.remove(params.id, principal), { params: runtimeIdParams, response: runtimeView });
  return new Elysia().use(list).use(admin);
}
