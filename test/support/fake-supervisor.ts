/**
 * Stands for LAP's own supervisor (harness/) running inside a sandbox pod, whose image cannot run here:
 * only the surface the kubernetes provider relies on. `GET /health` answers while the process lives;
 * `POST /lap/bind` (the path harness/supervisor serves) accepts the session identity once (the same
 * session again is idempotent, another one is 409) together with the supervisor token LAP chose, and
 * from then on every other request must carry that token as `x-api-key`.
 */
import { z } from "zod";

const bindBody = z.object({
  sandboxId: z.string(),
  supervisorToken: z.string().min(16),
  sessionId: z.string(),
  agentId: z.string(),
  gatewayKey: z.string(),
  gatewayBaseUrl: z.string(),
  model: z.string(),
  systemPrompt: z.string().optional(),
  env: z.record(z.string(), z.string()).default({}),
  harness: z.string().optional(),
  workspaceId: z.string().optional(),
  egressCaPem: z.string().optional(),
});

export type FakeBinding = z.infer<typeof bindBody>;

export interface FakeSupervisor {
  podName: string;
  binding: FakeBinding | null;
  bindCalls: number;
  handle(req: Request, path: string): Promise<Response>;
}

export function createFakeSupervisor(podName: string): FakeSupervisor {
  const sup: FakeSupervisor = {
    podName,
    binding: null,
    bindCalls: 0,
    async handle(req, path) {
      const p = path.replace(/\/+$/, "") || "/";
      if (p === "/health" && req.method === "GET") return Response.json({ status: "ok", bound: sup.binding !== null, pod: podName });
      if (p === "/lap/bind" && req.method === "POST") {
        sup.bindCalls++;
        const parsed = bindBody.safeParse(await req.json().catch(() => null));
        if (!parsed.success) return Response.json({ error: parsed.error.issues.map((i) => i.path.join(".")).join(",") }, { status: 400 });
        if (sup.binding && sup.binding.sessionId !== parsed.data.sessionId)
          return Response.json({ error: "already bound" }, { status: 409 });
        sup.binding = parsed.data;
        return Response.json({ bound: true });
      }
      if (!sup.binding || req.headers.get("x-api-key") !== sup.binding.supervisorToken)
        return Response.json({ error: "unauthorized" }, { status: 401 });
      if (p === "/v1/whoami")
        return Response.json({ pod: podName, sessionId: sup.binding.sessionId, envKeys: Object.keys(sup.binding.env).sort() });
      return Response.json({ error: "not found" }, { status: 404 });
    },
  };
  return sup;
}
