import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { agents, runtimes } from "../../schema";
import { testDatabase } from "../../test/support/db";
import type { Database } from "../db/client";
import { ApiError } from "./errors";
import { isForeignKeyViolation, isUniqueViolation, withConstraintConflicts } from "./pg-errors";

// Real constraint violations from the driver under test (PGlite or PostgreSQL), not hand-made errors.
let database: Database;
beforeAll(async () => {
  database = await testDatabase();
  await database.db.insert(runtimes).values({ id: "rt_a", alias: "a", protocol: "managed-agents", baseUrl: "http://127.0.0.1:1", apiKeySealed: "x" });
}, 60_000);
afterAll(() => database.close());

const insertRuntimeA = () =>
  database.db.insert(runtimes).values({ id: "rt_b", alias: "a", protocol: "managed-agents", baseUrl: "http://127.0.0.1:1", apiKeySealed: "x" });
const insertOrphanAgent = () => database.db.insert(agents).values({ id: "agt_x", name: "x", model: "m", runtimeId: "rt_missing", teamId: "team_default" });

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
