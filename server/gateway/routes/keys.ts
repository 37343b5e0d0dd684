import { Elysia } from "elysia";
import { z } from "zod";
import { requireAdmin, type AuthGuard } from "../../http/auth-guard";
import { badRequest, forbidden } from "../../lib/errors";
import { deleteKeyBody, generateKeyBody, keyInfoQuery, keyListQuery, updateKeyBody } from "../keys/model";
import type { GatewayService } from "../service";

/** LiteLLM's key admin API. Admin only, except /key/info on the caller's own key (any kind: server/http/route-policy.ts). */
export function keyAdminRoutes(deps: { gateway: GatewayService; guard: AuthGuard }) {
  const keys = deps.gateway.keys;
  const self = new Elysia({ prefix: "/key", detail: { tags: ["LLM gateway keys"] } }).use(deps.guard).get(
    "/info",
    async ({ query, principal }) => {
      const ref = query.key ?? principal.keyId;
      if (!ref)
        throw badRequest("key: the master key has no key info of its own; pass ?key=", [
          { field: "key", message: "required with the master key" },
        ]);
      const info = await keys.info(ref);
      if (principal.kind !== "admin" && info.token_id !== principal.keyId) throw forbidden("A key can only read its own info");
      return { key: info.token, info };
    },
    { query: keyInfoQuery, detail: { summary: "A key's limits and spend (its own, or any for admins)" } },
  );

  const admin = new Elysia({ prefix: "/key", detail: { tags: ["LLM gateway keys"] } })
    .use(deps.guard)
    .onTransform(requireAdmin)
    .post("/generate", ({ body, principal }) => keys.generate(body, {}, principal), {
      body: generateKeyBody,
      detail: { summary: "Create a virtual key (shown once) with models, budget, rate and parallel limits, expiry" },
    })
    // LiteLLM answers with the key as the caller named it, and the changed fields.
    .post("/update", async ({ body, principal }) => ({ ...(await keys.update(body, principal)), key: body.key }), {
      body: updateKeyBody,
      detail: { summary: "Change a key's limits" },
    })
    .post(
      "/delete",
      async ({ body, principal }) => {
        await keys.delete(body.keys ?? [], body.key_aliases ?? [], principal);
        // LiteLLM lists what was asked for (the keys as given), not internal ids.
        return { deleted_keys: [...(body.keys ?? []), ...(body.key_aliases ?? [])] };
      },
      {
        body: deleteKeyBody,
        detail: { summary: "Revoke keys by key, hash, id or alias" },
      },
    )
    .get(
      "/list",
      async ({ query }) => {
        const { keys: list, total } = await keys.list(query);
        return {
          keys: query.return_full_object === "true" ? list : list.map((k) => k.token),
          total_count: total,
          current_page: query.page,
          total_pages: Math.max(1, Math.ceil(total / query.size)),
        };
      },
      {
        query: keyListQuery,
        response: z.any(),
        detail: { summary: "List virtual keys (hashes, or full objects with return_full_object=true)" },
      },
    );
  return new Elysia().use(self).use(admin);
}
