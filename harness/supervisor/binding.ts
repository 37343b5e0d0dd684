/**
 * What LAP binds a sandbox's supervisor to (`POST /lap/bind`, ./routes.ts): the session, its key and the
 * agent's settings. Its own file so the supervisor (./supervisor.ts) and its routes share it without a circle.
 *
 * Pre-start (`POST /lap/prepare`): LAP's warm pool tells a sandbox which agent it is likely to serve
 * (everything a bind gives but the session and its key), and the supervisor starts that harness's CLI
 * now, with the placeholder key of its gateway proxy (./gateway-proxy.ts). The bind later either matches
 * (the harness is kept, the proxy gets the key) or does not (the harness is restarted with the binding),
 * so a session never gets a harness set up for something else (docs/sandboxes.md "Warm pool").
 */
import { z } from "zod";

export const bindBody = z.object({
  sessionId: z.string().min(1),
  agentId: z.string().min(1),
  gatewayKey: z.string().min(1),
  gatewayBaseUrl: z.string().url(),
  model: z.string().min(1),
  systemPrompt: z.string().optional(),
  env: z.record(z.string(), z.string()).optional(),
  mcpServers: z
    .array(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/))
    .max(50)
    .optional(),
  maxSteps: z.number().int().min(1).max(1000).optional(),
  approvalRequiredTools: z.array(z.string().min(1).max(128)).max(100).optional(),
  /** The agent's rules and skills (docs/skills.md); names and paths are checked again where they are written (harness/context.ts). */
  context: z
    .object({
      rules: z.array(z.object({ name: z.string().max(100), version: z.number().int(), body: z.string().max(100_000) })).max(100),
      skills: z
        .array(
          z.object({
            name: z
              .string()
              .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/)
              .max(64),
            version: z.number().int(),
            description: z.string().max(1024),
            skillMd: z.string().max(100_000),
            files: z.array(z.object({ path: z.string().max(200), content_base64: z.string() })).max(100),
          }),
        )
        .max(100),
    })
    .optional(),
  /** LAP's egress CA (Kubernetes pods): added to the CA bundle the harness's TLS stacks use. */
  egressCaPem: z
    .string()
    .includes("BEGIN CERTIFICATE")
    .max(64 * 1024)
    .optional(),
});
export type BindBody = z.infer<typeof bindBody>;

// `env` and `egressCaPem`: a pod's egress settings, known before its session (docs/kubernetes.md "Warm pool").
export const prepareBody = bindBody.omit({ sessionId: true, gatewayKey: true }).extend({
  /** How long the CLI's MCP start may wait for the bind (held requests, ./gateway-proxy.ts); the warm slot's TTL. */
  holdSeconds: z.number().int().min(1).max(86_400).optional(),
});
export type PrepareBody = z.infer<typeof prepareBody>;

/** The fields of a binding the pre-started harness was set up with. */
const setupOf = (b: Omit<PrepareBody, "holdSeconds"> | BindBody) =>
  JSON.stringify([
    b.agentId,
    b.model,
    b.gatewayBaseUrl,
    b.systemPrompt ?? null,
    b.mcpServers ?? [],
    b.maxSteps ?? null,
    b.approvalRequiredTools ?? [],
    b.context ?? null,
  ]);

const envOf = (env: Record<string, string> | undefined) => JSON.stringify(Object.entries(env ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)));

/**
 * Whether the pre-started harness can serve this binding as it is: the same setup, and nothing the
 * harness would have needed at its start (environment, a CA bundle) other than what it was prepared with.
 */
export function bindingMatches(prepared: PrepareBody, binding: BindBody): boolean {
  if (envOf(binding.env) !== envOf(prepared.env) || (binding.egressCaPem ?? null) !== (prepared.egressCaPem ?? null)) return false;
  return setupOf(prepared) === setupOf(binding);
}
