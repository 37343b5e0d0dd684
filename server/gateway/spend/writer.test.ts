import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Database } from "../../db/client";
import { testDatabase } from "../../../test/support/db";
import { SPEND_COPY_COLUMNS, SpendWriter, type SpendRow } from "./writer";

/** The spend writer on its own: binary COPY on PGlite, the JSON insert on PostgreSQL; same rows either way. */
let database: Database;
beforeAll(async () => {
  database = await testDatabase();
}, 60_000);
afterAll(() => database?.close());

const PG_TYPE = {
  text: "text",
  bool: "boolean",
  int4: "integer",
  float8: "double precision",
  timestamptz: "timestamp with time zone",
  jsonb: "jsonb",
} as const;

const full = (id: string): SpendRow => ({
  requestId: id,
  keyHash: "ab".repeat(32),
  keyId: "key-1",
  keyAlias: "alias 'quoted' \"twice\"",
  route: "/v1/chat/completions",
  modelGroup: "gpt-fake",
  deployment: "dep-1",
  provider: "openai",
  apiBase: "http://127.0.0.1:9/v1",
  promptTokens: 12,
  completionTokens: 34,
  totalTokens: 46,
  spend: 0.000123456789,
  priced: false,
  latencyMs: 1.25,
  ttftMs: 0.5,
  stream: 1,
  status: "failure",
  httpStatus: 502,
  error: "tab\there, newline\nthere, back\\slash, null-ish \\N, émoji 🦊, 中文",
  attempts: [{ deployment: "dep-1", model_group: "gpt-fake", status: 502, error: "boom", ms: 3.5 }],
  sessionId: "sess-1",
  agentId: "agent-1",
  endUser: "user-7",
  userId: "usr-1",
  teamId: "team-1",
  requestBody: { model: "gpt-fake", messages: [{ role: "user", content: 'hi "there" 🦊' }], nested: { a: [1, 2.5, null, true] } },
  responseBody: { text: 'data: {"x":1}\n\n' },
  startTime: new Date("2026-01-02T03:04:05.678Z"),
  endTime: new Date("2026-01-02T03:04:06.789Z"),
});

describe("spend writer", () => {
  test("the COPY column list is exactly the table's columns with their types", async () => {
    const cols = await database.query<{ column_name: string; data_type: string }>(
      "select column_name, data_type from information_schema.columns where table_name = 'gateway_spend_logs' order by column_name",
    );
    expect(SPEND_COPY_COLUMNS.map((c) => [c.name, PG_TYPE[c.type]]).sort()).toEqual(cols.map((c) => [c.column_name, c.data_type]));
  });

  test("every column is stored as given, text with tabs, newlines, backslashes and emoji and JSON bodies included", async () => {
    const writer = new SpendWriter({ database, maxQueue: 10 });
    writer.push(full("round-trip-1"));
    writer.push({ requestId: "round-trip-2", route: "/v1/embeddings", status: "success", startTime: new Date(0), endTime: new Date(1) });
    expect(await writer.flush()).toBe(2);
    // Times as epoch ms: the two drivers return timestamptz differently (Date, or text).
    const [a, b] = (
      await database.query<Record<string, unknown>>(
        `select *, (extract(epoch from start_time) * 1000)::float8 as start_ms, (extract(epoch from end_time) * 1000)::float8 as end_ms
       from gateway_spend_logs where request_id like 'round-trip-%' order by request_id`,
      )
    ).map(({ start_time: _s, end_time: _e, ...rest }) => rest);
    const f = full("round-trip-1");
    expect(a).toEqual({
      request_id: "round-trip-1",
      key_hash: f.keyHash,
      key_id: "key-1",
      key_alias: f.keyAlias,
      route: f.route,
      model_group: "gpt-fake",
      deployment: "dep-1",
      provider: "openai",
      api_base: f.apiBase,
      prompt_tokens: 12,
      completion_tokens: 34,
      total_tokens: 46,
      spend: 0.000123456789,
      priced: false,
      latency_ms: 1.25,
      ttft_ms: 0.5,
      stream: 1,
      status: "failure",
      http_status: 502,
      error: f.error,
      attempts: f.attempts,
      session_id: "sess-1",
      agent_id: "agent-1",
      end_user: "user-7",
      user_id: "usr-1",
      team_id: "team-1",
      request_body: f.requestBody,
      response_body: f.responseBody,
      start_ms: f.startTime!.getTime(),
      end_ms: f.endTime!.getTime(),
    });
    // Defaults for what a row leaves out: zero tokens and spend, no stream, empty attempts, NULL elsewhere.
    expect(b).toMatchObject({
      key_hash: null,
      prompt_tokens: 0,
      completion_tokens: 0,
      total_tokens: 0,
      spend: 0,
      priced: null,
      latency_ms: null,
      ttft_ms: null,
      stream: 0,
      http_status: null,
      attempts: [],
      request_body: null,
      response_body: null,
      user_id: null,
      team_id: null,
      start_ms: 0,
      end_ms: 1,
    });
  });

  test("a request id seen twice (in one batch, or already stored) is written once and the rest of the batch still lands", async () => {
    const writer = new SpendWriter({ database, maxQueue: 10 });
    writer.push(full("dup-stored"));
    expect(await writer.flush()).toBe(1);
    writer.push({ ...full("dup-stored"), error: "second copy" });
    writer.push(full("dup-new"));
    writer.push({ ...full("dup-new"), error: "second copy in the same batch" });
    writer.push(full("dup-other"));
    expect(await writer.flush()).toBe(4);
    expect(writer.stats).toMatchObject({ failedFlushes: 0, queued: 0 });
    const rows = await database.query<{ request_id: string; error: string }>(
      "select request_id, error from gateway_spend_logs where request_id like 'dup-%' order by request_id",
    );
    expect(rows.map((r) => r.request_id)).toEqual(["dup-new", "dup-other", "dup-stored"]);
    expect(rows.every((r) => r.error === full("x").error)).toBe(true);
  });

  test("a batch the database refuses is kept for the next flush, not lost", async () => {
    const writer = new SpendWriter({ database, maxQueue: 10 });
    writer.push({ ...full("refused-1"), status: null as unknown as string }); // status is NOT NULL
    expect(await writer.flush()).toBe(0);
    expect(writer.stats.failedFlushes).toBe(1);
    expect(writer.pending).toBe(1);
    expect(await database.query("select 1 from gateway_spend_logs where request_id = 'refused-1'")).toHaveLength(0);
  });
});
