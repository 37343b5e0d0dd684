import { Elysia } from "elysia";
import { z } from "zod";
import { requireAdmin, type AuthGuard } from "../http/auth-guard";
import { createRuntimeBody, runtimeIdParams, runtimeView } from "./model";
import type { RuntimeService } from "./service";

/** Runtime registry: admin only, because runtimes hold credentials. */
export function runtimeRoutes(deps: { runtimes: RuntimeService; guard: AuthGuard }) {
  return new Elysia({ prefix: "/api/runtimes", detail: { tags: ["Runtimes"] } })
    .use(deps.guard)
    .onTransform(requireAdmin)
    .get("", async () => ({ data: await deps.runtimes.list() }), {
      response: z.object({ data: z.array(runtimeView) }),
      detail: { summary: "List runtimes (keys are never returned)" },
    })
    .post(
      "",
      async ({ body, set }) => {
        set.status = 201;
        return deps.runtimes.create(body);
      },
      { body: createRuntimeBody, response: { 201: runtimeView }, detail: { summary: "Register a runtime; its API key is encrypted at rest" } },
    )
    .get("/:id", ({ params }) => deps.runtimes.get(params.id), { params: runtimeIdParams, response: runtimeView })
    .post("/:id/test", ({ params }) => deps.runtimes.test(params.id), {
      params: runtimeIdParams,
      response: runtimeView,
      detail: { summary: "Call the runtime with its key and record the result" },
    })
    .delete("/:id", ({ params }) => deps.runtimes.remove(params.id), { params: runtimeIdParams, response: runtimeView });
}
