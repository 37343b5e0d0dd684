/** Sessions, their approvals and the sandboxes they run in. */
import type { Fixtures, Scenarios } from "./fixtures";

export function sessionsScenarios({ h, made, session, sandbox }: Fixtures): Scenarios {
  return {
    "POST /api/sessions": async () => ({
      path: "/api/sessions",
      body: { agent_id: h.agentId, title: "audited" },
      action: "session.create",
    }),
    "POST /api/sessions/:id/stop": async () => ({ path: `/api/sessions/${await session()}/stop`, action: "session.stop" }),
    "DELETE /api/sessions/:id": async () => ({ path: `/api/sessions/${await session()}`, action: "session.delete" }),
    "PATCH /api/sessions/:id": async () => ({
      path: `/api/sessions/${await session()}`,
      body: { title: "renamed" },
      action: "session.rename",
    }),
    "POST /api/approvals/:id/decision": async () => {
      const s = (await made("POST", "/api/sessions", { agent_id: h.agentId, prompt: "run ls" })).id;
      const approval = await h.waitFor(
        "a pending approval",
        async () => (await h.t.json("GET", `/api/approvals?status=pending&session_id=${s}`)).body.data[0]?.id,
      );
      await h.waitForStatus(s, "awaiting_approval");
      return { path: `/api/approvals/${approval}/decision`, body: { decision: "allow" }, action: "approval.allow" };
    },
    "POST /api/sandboxes/pool/refill": async () => ({ path: "/api/sandboxes/pool/refill", action: "warm_pool.refill" }),
    "POST /api/sandboxes/:id/stop": async () => ({ path: `/api/sandboxes/${await sandbox()}/stop`, action: "sandbox.stop" }),
    "DELETE /api/sandboxes/:id": async () => ({ path: `/api/sandboxes/${await sandbox()}`, action: "sandbox.destroy" }),
    "POST /api/sandboxes/kubernetes/warm-pools/:name/scale": async () => {
      throw new Error("needs a cluster: see KUBERNETES_ONLY");
    },
  };
}
