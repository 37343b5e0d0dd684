import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { testDatabase } from "../../../test/support/db";
import { AuthService } from "../../auth/service";
import type { Database } from "../../db/client";
import { admit } from "./limits";
import { VirtualKeyService } from "./service";

/** Two LAP replicas' key services on one database: spend adds up, limits and spend from one reach the other. */
let database: Database;
let clock = Date.parse("2026-12-06T10:00:00Z");
const now = () => clock;
let a: VirtualKeyService;
let b: VirtualKeyService;

beforeAll(async () => {
  database = await testDatabase();
  const auth = new AuthService({ database, masterKey: "replicas-master-key-0123456789", now });
  a = new VirtualKeyService({ database, auth, now });
  b = new VirtualKeyService({ database, auth, now });
}, 60_000);
afterAll(() => database?.close());

/** One call's worth of spend through a replica's limit state, as the proxy does it. */
async function spend(on: VirtualKeyService, keyId: string, cost: number) {
  const state = (await on.stateOf(keyId))!;
  admit(state, now(), 0)(cost, 10);
}
const rowSpend = async (keyId: string) =>
  Number((await database.query<{ spend: number }>("select spend from gateway_keys where key_id = $1", [keyId]))[0]!.spend);

describe("virtual keys on several replicas", () => {
  test("spend from two replicas adds up on the row instead of overwriting", async () => {
    const key = await a.generate({ max_budget: 100 });
    await spend(a, key.token_id, 1.25);
    await spend(b, key.token_id, 2);
    await spend(a, key.token_id, 0.75);
    await a.flush();
    await b.flush();
    expect(await rowSpend(key.token_id)).toBeCloseTo(4, 9);
    // Each replica read the row back: a sees b's spend after its next flush.
    await spend(a, key.token_id, 0);
    await a.flush();
    expect((await a.stateOf(key.token_id))!.spend).toBeCloseTo(4, 9);
    expect((await b.stateOf(key.token_id))!.spend).toBeCloseTo(4, 9);
  });

  test("a budget spent on one replica stops calls on the other after a flush", async () => {
    const key = await a.generate({ max_budget: 1 });
    await spend(b, key.token_id, 0.1); // b has the key loaded with little spend
    await spend(a, key.token_id, 1.5);
    await a.flush();
    await b.flush();
    expect(() => admit((b as unknown as { states: Map<string, never> }).states.get(key.token_id)!, now(), 0)).toThrow(
      /Budget has been exceeded/,
    );
  });

  test("a limit changed through one replica applies on the other after its next flush", async () => {
    const key = await a.generate({ rpm_limit: 1000 });
    await spend(b, key.token_id, 0);
    await a.update({ key: key.key, rpm_limit: 1 });
    await b.flush();
    const state = (await b.stateOf(key.token_id))!;
    expect(state.row.rpmLimit).toBe(1);
  });

  test("a budget window reset is applied once; spend from the old window does not leak into the new one", async () => {
    const key = await a.generate({ max_budget: 10, budget_duration: "1h" });
    await spend(a, key.token_id, 3);
    await spend(b, key.token_id, 2);
    await a.flush();
    await b.flush();
    expect(await rowSpend(key.token_id)).toBeCloseTo(5, 9);
    // b spends just before the window ends and has not flushed when it ends.
    await spend(b, key.token_id, 4);
    clock += 3_600_000 + 1;
    // a's next call opens the new window; b's next call too (its unflushed spend belonged to the old one).
    await spend(a, key.token_id, 0.5);
    await spend(b, key.token_id, 0.25);
    await a.flush();
    await b.flush();
    expect(await rowSpend(key.token_id)).toBeCloseTo(0.75, 9);
    const [row] = await database.query<{ budget_reset_at: Date | string }>("select budget_reset_at from gateway_keys where key_id = $1", [
      key.token_id,
    ]);
    expect(new Date(row!.budget_reset_at).getTime()).toBe((await a.stateOf(key.token_id))!.row.budgetResetAt!.getTime());
  });
});
