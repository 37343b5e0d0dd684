import { Elysia } from "elysia";
import { z } from "zod";
import { requireAdmin, type AuthGuard } from "../http/auth-guard";
import { notFound } from "../lib/errors";
import { destroyQuery, egressQuery, egressRecordView, poolView, sandboxIdParams, sandboxView } from "./model";
import type { SandboxService } from "./service";

/** How long `POST /pool/refill` waits for its top-up before it answers (Bun's idle timeout is 30 s). */
const REFILL_WAIT_MS = 15_000;

/** Sandboxes: live sandboxes, the warm pool, egress records; stop and destroy. Admin only. */
export function sandboxRoutes(deps: { sandboxes: SandboxService; guard: AuthGuard }) {
  const s = deps.sandboxes;
  return new Elysia({ prefix: "/api/sandboxes", detail: { tags: ["Sandboxes"] } })
    .use(deps.guard)
    .onTransform(requireAdmin)
    .get("", async ({ query }) => ({ data: (await s.list()).filter((x) => !query.session_id || x.session_id === query.session_id) }), {
      query: z.object({ session_id: z.string().max(64).optional() }),
      response: z.object({ data: z.array(sandboxView) }),
      detail: { summary: "Live sandboxes with their session, agent, age, state and resource use" },
    })
    .get("/pool", () => s.poolSlots(), { response: poolView, detail: { summary: "The warm pool: settings and slots" } })
    .post(
      "/pool/refill",
      async ({ principal }) => {
        // A harness pre-start can outlast the HTTP idle timeout (OpenClaw's takes 20-30 s): past the bound
        // the answer shows those slots still provisioning, and the top-up goes on (the page polls the pool).
        await Promise.race([s.pool().topUp(), Bun.sleep(REFILL_WAIT_MS)]);
        await s.recordChange({ actor: principal, action: "warm_pool.refill", objectType: "warm_pool", objectId: "local" });
        return s.poolSlots();
      },
      {
        response: poolView,
        detail: {
          summary:
            "Recycle and top up the warm pool now (the loop does it every 30 s); answers within 15 s, slots still preparing then show as provisioning",
        },
      },
    )
    .get(
      "/egress",
      async ({ query }) => {
        // What the proxy recorded a moment ago is in the queue; write it so the page is current.
        await s.egressRecords.flush();
        return s.egressRecords.list(query);
      },
      {
        query: egressQuery,
        response: z.object({ data: z.array(egressRecordView), next_before: z.number().nullable() }),
        detail: {
          summary: "Outbound requests from sandboxes, newest first (allowed, denied, secret names swapped or refused; never values)",
        },
      },
    )
    .post(
      "/:id/stop",
      async ({ params, principal }) => {
        if (!(await s.stop(params.id, principal))) throw notFound("Sandbox");
        return { ok: true as const };
      },
      {
        params: sandboxIdParams,
        response: z.object({ ok: z.literal(true) }),
        detail: { summary: "Stop a sandbox; its workspace is kept" },
      },
    )
    .delete(
      "/:id",
      async ({ params, query, principal }) => {
        if (!(await s.destroy(params.id, query.drop_workspace === "true", principal))) throw notFound("Sandbox");
        return { ok: true as const };
      },
      {
        params: sandboxIdParams,
        query: destroyQuery,
        response: z.object({ ok: z.literal(true) }),
        detail: { summary: "Destroy a sandbox (drop_workspace=true also deletes its files)" },
      },
    );
}
