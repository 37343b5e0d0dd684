/**
 * Egress records in the database: pushed without waiting, written in batches with the sandbox's
 * session and agent, listed per session or sandbox page by page, pruned past the retention, and
 * the vault's last use of each swapped secret updated. Through the HTTP API, admin only.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestApp, type TestApp } from "../../../test/support/app";
import type { EgressRecord } from "./proxy";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ EGRESS_RECORDS_RETENTION_DAYS: "7" });
  await t.database.query(`insert into agents (id, name, model) values ('agt_eg', 'egress-agent', 'm')`);
  await t.database.query(`insert into sessions (id, agent_id) values ('ses_eg', 'agt_eg')`);
  // A warm sandbox claimed by the session: its row carries the session.
  await t.database.query(
    `insert into sandboxes (id, sandbox_id, provider, agent_id, session_id, workspace_id, spec_hash, status) values ('sbr_eg', 'sbx_eg', 'local', 'agt_eg', 'ses_eg', 'ws', 'h', 'claimed')`,
  );
}, 60_000);
afterAll(async () => {
  await t?.close();
});

const rec = (over: Partial<EgressRecord>): EgressRecord => ({
  at: new Date().toISOString(),
  sandboxId: "sbx_eg",
  method: "GET",
  host: "api.example.com",
  outcome: "allowed",
  swapped: [],
  refused: [],
  ...over,
});

describe("egress records", () => {
  test("pushed records are written by the flush with the sandbox's session and agent, and listed newest first, page by page", async () => {
    const store = t.services.sandboxes.egressRecords;
    await t.json("POST", "/api/vault", { body: { name: "EG_TOKEN", value: "eg-token-real-value", hosts: ["api.example.com"] } });
    store.push(rec({ method: "CONNECT", host: "api.example.com" }));
    store.push(rec({ method: "POST", swapped: ["EG_TOKEN"] }));
    store.push(rec({ method: "GET", host: "other.example.com", refused: ["EG_TOKEN"] }));
    store.push(rec({ method: "CONNECT", host: "evil.example.net", outcome: "denied" }));
    store.push(rec({ sandboxId: "sbx_unknown", host: "x.example.com" }));
    // Nothing is written until the flush: the proxy never waits on the database.
    expect((await t.database.query<{ n: number }>("select count(*)::int as n from egress_records"))[0]!.n).toBe(0);
    expect(await store.flush()).toBe(5);

    const page1 = await t.json("GET", "/api/sandboxes/egress?session_id=ses_eg&limit=3");
    expect(page1.status).toBe(200);
    expect(page1.body.data.map((r: { method: string; host: string; outcome: string }) => [r.method, r.host, r.outcome])).toEqual([
      ["CONNECT", "evil.example.net", "denied"],
      ["GET", "other.example.com", "allowed"],
      ["POST", "api.example.com", "allowed"],
    ]);
    expect(page1.body.data[1]).toMatchObject({
      sandbox_id: "sbx_eg",
      session_id: "ses_eg",
      agent_id: "agt_eg",
      refused: ["EG_TOKEN"],
      swapped: [],
    });
    expect(page1.body.next_before).toBe(page1.body.data[2].id);
    const page2 = await t.json("GET", `/api/sandboxes/egress?session_id=ses_eg&limit=3&before=${page1.body.next_before}`);
    expect(page2.body.data.map((r: { method: string }) => r.method)).toEqual(["CONNECT"]);
    expect(page2.body.next_before).toBeNull();

    // A sandbox LAP has no row for still gets its record, without a session.
    const unknown = await t.json("GET", "/api/sandboxes/egress?sandbox_id=sbx_unknown");
    expect(unknown.body.data).toEqual([expect.objectContaining({ sandbox_id: "sbx_unknown", session_id: null, agent_id: null })]);

    // The swap marked the vault secret used.
    const secret = (await t.json("GET", "/api/vault")).body.data.find((s: { name: string }) => s.name === "EG_TOKEN");
    expect(secret.last_used_at).not.toBeNull();
    expect(JSON.stringify((await t.json("GET", "/api/sandboxes/egress")).body)).not.toContain("eg-token-real-value");
  });

  test("records older than the retention are pruned, newer ones kept", async () => {
    const store = t.services.sandboxes.egressRecords;
    store.push(rec({ at: new Date(Date.now() - 8 * 86_400_000).toISOString(), host: "old.example.com" }));
    store.push(rec({ at: new Date(Date.now() - 6 * 86_400_000).toISOString(), host: "recent.example.com" }));
    await store.flush();
    expect(await store.prune()).toBe(1);
    const hosts = (await store.list({ sandbox_id: "sbx_eg", limit: 100 })).data.map((r) => r.host);
    expect(hosts).toContain("recent.example.com");
    expect(hosts).not.toContain("old.example.com");
  });

  test("a failed flush keeps the records queued; the next one writes them", async () => {
    const store = t.services.sandboxes.egressRecords;
    await t.database.query("alter table egress_records rename to egress_records_away");
    store.push(rec({ host: "retry.example.com" }));
    try {
      expect(await store.flush()).toBe(0);
      expect(store.writer.pending).toBe(1);
    } finally {
      await t.database.query("alter table egress_records_away rename to egress_records");
    }
    expect(await store.flush()).toBe(1);
    expect((await store.list({ limit: 1 })).data[0]!.host).toBe("retry.example.com");
  });

  test("bad queries are 400 naming the field; the log is admin only", async () => {
    for (const [q, field] of [
      ["limit=0", "limit"],
      ["limit=abc", "limit"],
      ["before=-3", "before"],
      ["limit=501", "limit"],
    ] as const) {
      const res = await t.json("GET", `/api/sandboxes/egress?${q}`);
      expect(res.status).toBe(400);
      expect(res.body.error.fields.map((f: { field: string }) => f.field)).toContain(field);
    }
    expect((await t.json("GET", "/api/sandboxes/egress", { key: null })).status).toBe(401);
    const { body } = await t.json("POST", "/api/keys", { body: { label: "user", role: "user" } });
    expect((await t.json("GET", "/api/sandboxes/egress", { key: body.token })).status).toBe(403);
  });
});
