import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { agents, runtimes } from "../../schema";
import { testDatabase } from "../../test/support/db";
import type { Database } from "../db/client";
import { ApiError } from "./errors";
import { Elysia } from "elysia";
import { errorHandler } from "../http/errors";
import { createLogger } from "./logger";
import { dataErrorMessage, isForeignKeyViolation, isUniqueViolation, withConstraintConflicts } from "./pg-errors";

// Real constraint violations from the driver under test (PGlite or PostgreSQL), not hand-made errors.
let database: Database;
beforeAll(async () => {
  database = await testDatabase();
  await database.db
    .insert(runtimes)
    .values({ id: "rt_a", alias: "a", protocol: "managed-agents", baseUrl: "http://127.0.0.1:1", apiKeySealed: "x" });
}, 60_000);
afterAll(() => database.close());

const insertRuntimeA = () =>
  database.db
    .insert(runtimes)
    .values({ id: "rt_b", alias: "a", protocol: "managed-agents", baseUrl: "http://127.0.0.1:1", apiKeySealed: "x" });
const insertOrphanAgent = () =>
  database.db.insert(agents).values({ id: "agt_x", name: "x", model: "m", runtimeId: "rt_missing", teamId: "team_default" });

describe("constraint violations", () => {
  test("a duplicate becomes a 409 with the given message", async () => {
    const err = await withConstraintConflicts(insertRuntimeA, { unique: "alias a is taken" }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(409);
    expect((err as ApiError).message).toBe("alias a is taken");
  });

  test("a missing reference becomes a 409 only when a foreign-key message is given", async () => {
    const raw = await insertOrphanAgent().catch((e) => e);
    expect(isForeignKeyViolation(raw)).toBe(true);
    expect(isUniqueViolation(raw)).toBe(false);
    const mapped = await withConstraintConflicts(insertOrphanAgent, { foreignKey: "no such runtime" }).catch((e) => e);
    expect((mapped as ApiError).status).toBe(409);
    const passed = await withConstraintConflicts(insertOrphanAgent, { unique: "dup" }).catch((e) => e);
    expect(passed).not.toBeInstanceOf(ApiError);
  });

  test("the result passes through when the write succeeds", async () => {
    const rows = await withConstraintConflicts(() => database.db.select().from(runtimes), { unique: "x" });
    expect(rows.map((r) => r.alias)).toEqual(["a"]);
  });
});

describe("data the database refuses (issue 15, item 9: a 400, never a 500)", () => {
  const nulText = () => database.query("select $1::text as v", ["a\u0000b"]);
  const nulJson = () => database.query("select $1::jsonb as v", ['{"a":"\\u0000"}']);
  const surrogateJson = () => database.query("select $1::jsonb as v", ['{"a":"\\ud800"}']);
  const hugeIndexKey = () =>
    database.db
      .insert(runtimes)
      .values({ id: "rt_huge", alias: "x".repeat(300_000), protocol: "managed-agents", baseUrl: "http://127.0.0.1:1", apiKeySealed: "x" });
  const outOfRange = () => database.query("select $1::int as v", ["99999999999"]);

  test("each is recognised from the driver's real error", async () => {
    for (const run of [nulText, nulJson, surrogateJson, hugeIndexKey, outOfRange]) {
      const err = await run().then(
        () => undefined,
        (e) => e,
      );
      expect(err).toBeDefined();
      expect(dataErrorMessage(err)).toBeString();
    }
    expect(dataErrorMessage(await insertRuntimeA().catch((e) => e))).toBeUndefined();
  });

  test("the error handler answers 400 naming what was wrong, without echoing the value", async () => {
    const app = new Elysia().use(errorHandler(createLogger("silent"))).post("/x", async () => {
      await hugeIndexKey();
      return "stored";
    });
    const res = await app.handle(new Request("http://localhost/x", { method: "POST" }));
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error.code).toBe("invalid_request");
    expect(body.error.fields[0].field).toBeString();
    expect(JSON.stringify(body)).not.toContain("xxxxxxxx");
  });
});
