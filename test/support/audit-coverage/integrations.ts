/** Vault secrets and the Slack and Linear integrations. */
import { type Fixtures, type Scenarios, uid } from "./fixtures";

export function integrationsScenarios({ h, made, vaultSecret }: Fixtures): Scenarios {
  return {
    "POST /api/vault": async () => ({
      path: "/api/vault",
      body: { name: `V_${uid().toUpperCase()}`, value: "a-vault-value-9876", hosts: ["example.com"] },
      action: "vault_secret.create",
    }),
    "PATCH /api/vault/:id": async () => ({
      path: `/api/vault/${await vaultSecret()}`,
      body: { value: "the-rotated-value-5555" },
      action: "vault_secret.rotate",
    }),
    "DELETE /api/vault/:id": async () => ({ path: `/api/vault/${await vaultSecret()}`, action: "vault_secret.delete" }),
    "DELETE /api/slack/installations/:team_id": async () => {
      const team = `T${uid().toUpperCase()}`;
      await h.t.services.slack.store.saveInstallation({
        teamId: team,
        teamName: "Acme",
        appId: null,
        botUserId: "U0BOT",
        botToken: "xoxb-secret-bot-token",
        scopes: "chat:write",
      });
      return { path: `/api/slack/installations/${team}`, action: "slack_installation.delete" };
    },
    "PUT /api/slack/bindings": async () => ({
      path: "/api/slack/bindings",
      body: { team_id: `T${uid().toUpperCase()}`, channel_id: "C0AUDIT", agent_id: h.agentId },
      action: "slack_binding.set",
    }),
    "DELETE /api/slack/bindings/:id": async () => {
      const b = await made("PUT", "/api/slack/bindings", {
        team_id: `T${uid().toUpperCase()}`,
        channel_id: "C0AUDIT",
        agent_id: h.agentId,
      });
      return { path: `/api/slack/bindings/${b.id}`, action: "slack_binding.delete" };
    },
    "PUT /api/slack/dm-allowlist": async () => ({
      path: "/api/slack/dm-allowlist",
      body: { team_id: "T0AUDIT", user_ids: ["U0AAA"] },
      action: "slack_dm_allowlist.set",
    }),
    "PUT /api/integrations/linear/bindings": async () => ({
      path: "/api/integrations/linear/bindings",
      body: { organization_id: `org-${uid()}`, agent_id: h.agentId },
      action: "linear_binding.set",
    }),
    "DELETE /api/integrations/linear/bindings/:organization_id": async () => {
      const org = `org-${uid()}`;
      await made("PUT", "/api/integrations/linear/bindings", { organization_id: org, agent_id: h.agentId });
      return { path: `/api/integrations/linear/bindings/${org}`, action: "linear_binding.delete" };
    },
    "DELETE /api/integrations/linear/installations/:organization_id": async () => {
      const org = `org-${uid()}`;
      await h.t.services.linear.store.saveInstallation({
        organizationId: org,
        organizationName: "Acme",
        urlKey: "acme",
        appUserId: "app-user",
        installedBy: null,
        tokens: { accessToken: "lin-secret-access-token", refreshToken: null, expiresAt: null, scope: "read,write" },
      });
      return { path: `/api/integrations/linear/installations/${org}`, action: "linear_installation.delete" };
    },
  };
}
