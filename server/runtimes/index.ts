import { Elysia } from "elysia";
import { z } from "zod";
import type { AuthGuard } from "../http/auth-guard";
import { createRuntimeBody, runtimeIdParams, runtimeView } from "./model";
import type { RuntimeService } from "./service";

/**
 * Runtime registry: admins manage every runtime, a team's admins and owners the team's own (they hold
 * credentials); everyone lists what its agents may use (server/auth/policy.ts).
 */
export function runtimeRoutes(deps: { runtimes: RuntimeService; guard: AuthGuard }) {
  const list = new Elysia({ prefix: "/api/runtimes", detail: { tags: ["Runtimes"] } })
    .use(deps.guard)
    .get("", async ({ principal }) => ({ data: await deps.runtimes.list(principal) }), {
      response: z.object({ data: z.array(runtimeView) }),
      detail: { summary: "List runtimes (keys are never returned; a user sees org-wide ones and its teams', without URLs)" },
    });
  const manage = new Elysia({ prefix: "/api/runtimes", detail: { tags: ["Runtimes"] } })
    .use(deps.guard)
    .post(
      "",
      async ({ body, set, principal }) => {
        set.status = 201;
        return deps.runtimes.create(body, principal);
      },
      {
        body: createRuntimeBody,
        response: { 201: runtimeView },
        detail: { summary: "Register a runtime (org-wide, or a team's by its admins); its API key is encrypted at rest" },
      },
    )
    .get("/:id", ({ params, principal }) => deps.runtimes.getFor(params.id, principal), { params: runtimeIdParams, response: runtimeView })
    .post("/:id/test", ({ params, principal }) => deps.runtimes.testFor(params.id, principal), {
      params: runtimeIdParams,
      response: runtimeView,
      detail: { summary: "Call the runtime with its key and record the result" },
    })
    .delete("/:id", ({ params, principal }) => deps.runtimes.remove(params.id, principal), {
      params: runtimeIdParams,
      response: runtimeView,
    });
  return new Elysia().use(list).use(manage);
}
