/**
 * The audit trail's coverage test (issue 18, "Tests"): every admin or user route of the built app that
 * changes something (POST, PUT, PATCH, DELETE) writes exactly one audit row, with the caller, the
 * request's id, address and user agent, and the action it names. A route is either driven here
 * (SCENARIOS, one file per area in test/support/audit-coverage/: makes its fixtures, calls the route
 * once, names the action expected) or listed in NOT_AUDITED with the reason; a new route in neither
 * fails the first test, so it cannot ship without an audit row or a reason. The LLM gateway (`llm`), MCP (`mcp`) and stream routes are other
 * kinds of access (server/http/route-policy.ts) and are not walked.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { agentsScenarios } from "../../test/support/audit-coverage/agents";
import { automationScenarios } from "../../test/support/audit-coverage/automation";
import { type Call, fixturesFor, type Scenarios, uid } from "../../test/support/audit-coverage/fixtures";
import { gatewayScenarios } from "../../test/support/audit-coverage/gateway";
import { integrationsScenarios } from "../../test/support/audit-coverage/integrations";
import { mcpScenarios } from "../../test/support/audit-coverage/mcp";
import { peopleScenarios } from "../../test/support/audit-coverage/people";
import { sessionsScenarios } from "../../test/support/audit-coverage/sessions";
import { askReply } from "../../test/support/fake-managed-agents";
import { sessionHarness, type SessionHarness } from "../../test/support/session-harness";
import { accessOf } from "../http/route-policy";

let h: SessionHarness;
/** Every scenario, area by area (test/support/audit-coverage/), made once the harness is up. */
let SCENARIOS: Scenarios;

/** Routes that change something but are not audit rows, and why (docs/operations.md "Audit trail"). */
const NOT_AUDITED: Record<string, string> = {
  "POST /api/sessions/:id/messages": "a conversation, not configuration: the session's own event history records every message",
  "POST /api/sessions/:id/interrupt": "a turn control inside a conversation: the session's events record it",
  "POST /api/sessions/:id/stream-token": "mints a short-lived read-only token from the master key; nothing is stored",
  "POST /api/gateway/models/test": "a probe: it keeps only the model's last health result, not a configuration change",
  "POST /api/runtimes/:id/test": "a probe: it keeps only the runtime's last health result",
  "POST /api/mcp/servers/:id/test": "a probe: lists the server's tools and changes nothing",
  "POST /api/mcp/servers/:id/oauth/start": "starts a sign-in with the MCP server; the tokens are stored at its callback, a public route",
};

/**
 * Needs a cluster (LAP_SANDBOX=kubernetes): answered 404 here. Its audit row (`warm_pool.scale`) is
 * checked against the fake cluster in server/sandboxes/kubernetes/routes.test.ts.
 */
const KUBERNETES_ONLY = new Set(["POST /api/sandboxes/kubernetes/warm-pools/:name/scale"]);

const changing = (method: string) => method === "POST" || method === "PUT" || method === "PATCH" || method === "DELETE";

beforeAll(async () => {
  h = await sessionHarness({
    env: { LAP_SANDBOX: "process", WARM_POOL_SIZE: "0" },
    fake: {
      reply: (text) =>
        text.startsWith("run ")
          ? askReply("bash", { command: text.slice(4) })
          : [{ event: { type: "session.status_idle", stop_reason: { type: "end_turn" } } }],
    },
    agent: { approval_required_tools: ["bash"] },
  });
  const fixtures = fixturesFor(h);
  SCENARIOS = {
    ...peopleScenarios(fixtures),
    ...gatewayScenarios(fixtures),
    ...mcpScenarios(fixtures),
    ...agentsScenarios(fixtures),
    ...sessionsScenarios(fixtures),
    ...automationScenarios(fixtures),
    ...integrationsScenarios(fixtures),
  };
}, 120_000);
afterAll(async () => {
  await h?.t.services.sandboxes.shutdown();
  await h?.close();
});

describe("every admin and user route that changes something writes one audit row", () => {
  test("each such route is driven here or listed with a reason (a new route without audit fails)", () => {
    const routes = h.t.app.routes
      .filter((r) => changing(r.method))
      .filter((r) => ["admin", "user"].includes(accessOf(r.method, r.path) ?? ""))
      .map((r) => `${r.method} ${r.path}`);
    expect(routes.length).toBeGreaterThan(60);
    const unaccounted = routes.filter((r) => !(r in SCENARIOS) && !(r in NOT_AUDITED));
    expect(unaccounted).toEqual([]);
    const stale = [...Object.keys(SCENARIOS), ...Object.keys(NOT_AUDITED)].filter((r) => !routes.includes(r));
    expect(stale).toEqual([]);
  });

  test("a call of each writes exactly one row naming the action, the caller, its user agent and request id", async () => {
    const wrong: string[] = [];
    for (const [route, scenario] of Object.entries(SCENARIOS)) {
      if (KUBERNETES_ONLY.has(route)) continue;
      const method = route.split(" ")[0]!;
      let call: Call;
      try {
        call = await scenario();
      } catch (err) {
        wrong.push(`${route}: fixture failed: ${(err as Error).message}`);
        continue;
      }
      const requestId = `audit-${uid()}`;
      const res = await h.t.request(method, call.path, {
        body: call.body ?? (method === "DELETE" ? undefined : {}),
        headers: { ...call.headers, "x-request-id": requestId, "user-agent": "audit-coverage/1.0" },
      });
      const text = await res.text();
      if (res.status >= 300) {
        wrong.push(`${route}: ${res.status} ${text.slice(0, 200)}`);
        continue;
      }
      const rows = await h.t.database.query<{ action: string; actor_kind: string; actor_label: string; user_agent: string | null }>(
        "select action, actor_kind, actor_label, user_agent from audit_log where request_id = $1",
        [requestId],
      );
      if (rows.length !== 1) wrong.push(`${route}: ${rows.length} audit rows (${rows.map((r) => r.action).join(", ")}), expected 1`);
      else if (rows[0]!.action !== call.action) wrong.push(`${route}: action ${rows[0]!.action}, expected ${call.action}`);
      else if (rows[0]!.actor_kind !== "admin" || rows[0]!.actor_label !== "master key" || rows[0]!.user_agent !== "audit-coverage/1.0") {
        wrong.push(`${route}: actor ${JSON.stringify(rows[0])}`);
      }
    }
    expect(wrong).toEqual([]);
  }, 300_000);

  test("no audit row holds a secret the scenarios used", async () => {
    const [dump] = await h.t.database.query<{ text: string }>(
      "select coalesce(string_agg(changes::text || detail::text, ' '), '') as text from audit_log",
    );
    for (const secret of [
      "sk-secret-provider-key",
      "sk-another-secret-key",
      "a-vault-value",
      "the-rotated-value",
      "my-own-token-123",
      "xoxb-secret-bot-token",
      "runtime-api-key",
      "correct horse",
      "a new password",
    ]) {
      expect(dump!.text).not.toContain(secret);
    }
    expect(dump!.text).toContain("[redacted]");
  });

  test("a refused change writes no row", async () => {
    const requestId = `audit-${uid()}`;
    const res = await h.t.json("POST", "/api/agents", { body: { name: "", model: "m" }, headers: { "x-request-id": requestId } });
    expect(res.status).toBe(400);
    expect(await h.t.database.query("select 1 from audit_log where request_id = $1", [requestId])).toEqual([]);
  });
});
