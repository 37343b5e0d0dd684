import { Elysia } from "elysia";
import { z } from "zod";
import type { AuthGuard } from "../http/auth-guard";
import { createVaultSecretBody, updateVaultSecretBody, vaultIdParams, vaultSecretView } from "./model";
import type { VaultService } from "./service";

/**
 * The vault: values are write-only (create and rotate), never read back. Admins manage every secret,
 * a team's admins and owners the team's own; members and viewers list their teams' and the org-wide
 * ones; another team's does not exist for them (server/auth/policy.ts).
 */
export function vaultRoutes(deps: { vault: VaultService; guard: AuthGuard }) {
  const v = deps.vault;
  return new Elysia({ prefix: "/api/vault", detail: { tags: ["Vault"] } })
    .use(deps.guard)
    .get("", async ({ principal }) => ({ data: await v.list(principal) }), {
      response: z.object({ data: z.array(vaultSecretView) }),
      detail: { summary: "Vault secrets: names, bound hosts, a masked hint, the agents using them, last use (never values)" },
    })
    .post(
      "",
      async ({ body, set, principal }) => {
        set.status = 201;
        return v.create(body, principal);
      },
      {
        body: createVaultSecretBody,
        response: { 201: vaultSecretView },
        detail: { summary: "Add a secret bound to hosts; sandboxes see a stub, the egress proxy swaps in the value toward those hosts" },
      },
    )
    .get("/:id", ({ params, principal }) => v.get(params.id, principal), { params: vaultIdParams, response: vaultSecretView })
    .patch("/:id", ({ params, body, principal }) => v.update(params.id, body, principal), {
      params: vaultIdParams,
      body: updateVaultSecretBody,
      response: vaultSecretView,
      detail: { summary: "Change hosts or description, or rotate the value (sandboxes started afterwards use the new one)" },
    })
    .delete("/:id", ({ params, principal }) => v.remove(params.id, principal), {
      params: vaultIdParams,
      response: vaultSecretView,
      detail: { summary: "Delete a secret (refused with 409 while an agent lists it)" },
    });
}
