/** Installing Linear (docs/linear.md "Set up"): the OAuth routes against a FakeLinear, state and token handling. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ACME, linearHarness, type LinearHarness } from "../../test/support/linear-harness";

let h: LinearHarness;
let agentId: string;

beforeAll(async () => {
  h = await linearHarness();
  agentId = await h.installAndBind(ACME);
}, 60_000);
afterAll(async () => {
  await h?.close();
}, 60_000);

const count = async (table: string) => Number((await h.database.query<{ n: number }>(`select count(*)::int as n from ${table}`))[0]!.n);

describe("OAuth install", () => {
  test("the install route redirects to Linear with a one-time state, as the app actor", async () => {
    const res = await h.request("GET", "/api/integrations/linear/install");
    expect(res.status).toBe(302);
    const to = new URL(res.headers.get("location")!);
    expect(to.origin + to.pathname).toBe("https://linear.test/oauth/authorize");
    expect(to.searchParams.get("client_id")).toBe(h.fake.clientId);
    expect(to.searchParams.get("redirect_uri")).toBe("http://lap.test/api/integrations/oauth/linear/callback");
    expect(to.searchParams.get("actor")).toBe("app");
    expect(to.searchParams.get("scope")).toContain("app:mentionable");
    expect(to.searchParams.get("state")).toMatch(/^lin_/);
  });

  test("the install route needs an admin", async () => {
    expect((await h.request("GET", "/api/integrations/linear/install", { key: null })).status).toBe(401);
  });

  test("a callback with a bad, missing or used state is refused and stores nothing", async () => {
    const before = await count("linear_installations");
    const other = { ...ACME, organizationId: "0b1c2d3e-0000-4000-8000-0000000other", name: "Other" };
    for (const state of ["lin_forged", ""]) {
      const res = await h.request("GET", `/api/integrations/oauth/linear/callback?code=${h.fake.issueCode(other)}&state=${state}`, {
        key: null,
      });
      expect(res.status).toBe(401);
      expect((await res.json()).error.message).toContain("invalid, used or expired");
    }
    const start = await h.request("GET", "/api/integrations/linear/install");
    const state = new URL(start.headers.get("location")!).searchParams.get("state")!;
    const first = await h.request("GET", `/api/integrations/oauth/linear/callback?code=${h.fake.issueCode(other)}&state=${state}`, {
      key: null,
    });
    expect(first.headers.get("location")).toBe("/integrations?linear_installed=Other");
    const again = await h.request("GET", `/api/integrations/oauth/linear/callback?code=${h.fake.issueCode(other)}&state=${state}`, {
      key: null,
    });
    expect(again.status).toBe(401);
    expect(await count("linear_installations")).toBe(before + 1);
    expect((await h.json("DELETE", `/api/integrations/linear/installations/${other.organizationId}`)).status).toBe(200);
  });

  test("a code Linear refuses sends the browser back with the reason", async () => {
    const start = await h.request("GET", "/api/integrations/linear/install");
    const state = new URL(start.headers.get("location")!).searchParams.get("state")!;
    const res = await h.request("GET", `/api/integrations/oauth/linear/callback?code=not-a-code&state=${state}`, { key: null });
    expect(res.status).toBe(302);
    expect(decodeURIComponent(res.headers.get("location")!)).toContain("linear_error=Linear's token endpoint answered 400 (invalid_grant)");
  });

  test("the token is sealed at rest and the status shows the workspace without it", async () => {
    const [row] = await h.database.query<{ access_token_sealed: string; refresh_token_sealed: string }>(
      "select access_token_sealed, refresh_token_sealed from linear_installations where organization_id = $1",
      [ACME.organizationId],
    );
    expect(row!.access_token_sealed).not.toContain("lin_oauth_");
    expect(row!.refresh_token_sealed).not.toContain("lin_refresh_");
    const status = await h.json("GET", "/api/integrations/linear/status");
    expect(status.body.configured).toBe(true);
    expect(status.body.missing).toEqual([]);
    expect(status.body.urls.webhook).toBe("http://lap.test/api/integrations/webhooks/linear");
    expect(status.body.installations.map((i: any) => i.organization_name)).toContain("Acme");
    expect(status.body.bindings).toEqual([
      { organization_id: ACME.organizationId, agent_id: agentId, agent_name: "linear-helper", lap_team_id: "team_default" },
    ]);
  });
});
