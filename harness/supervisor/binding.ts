/**
 * What LAP binds a sandbox's supervisor to (`POST /lap/bind`, ./routes.ts): the session, its key and the
 * agent's settings. Its own file so the supervisor (./supervisor.ts) and its routes share it without a circle.
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
