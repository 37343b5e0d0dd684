import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import type { Database } from "../db/client";
import { testDatabase } from "../../test/support/db";
import { AuthService } from "./service";

/**
 * Key verification is cached per process (by the key's hash, 10 s). Two services on one database stand
 * for two LAP replicas; their clocks are moved by hand so the bound is checked without sleeping.
 */
const MASTER = "verify-cache-master-key-0123456789";
let database: Database;
let clock = Date.now();
const now = () => clock;
beforeAll(async () => {
  database = await testDatabase();
}, 60_000);
afterAll(() => database?.close());

describe("key verification cache", () => {
  test("a revoked key is refused at once on the replica that revoked it, and within 10 s on another", async () => {
    const a = new AuthService({ database, masterKey: MASTER, now });
    const b = new AuthService({ database, masterKey: MASTER, now });
    const { key, token } = await a.createKey({ label: "cached", role: "user" });
    expect(await a.verifyToken(token)).toMatchObject({ via: "api_key", keyId: key.id });
    expect(await b.verifyToken(token)).toMatchObject({ via: "api_key", keyId: key.id });

    await a.revokeKey(key.id);
    expect(await a.verifyToken(token)).toBeNull();
    // B answers from its cache until the entry is 10 s old (no database read per call)...
    clock += 9_000;
    expect(await b.verifyToken(token)).toMatchObject({ keyId: key.id });
    // ...and reads the revocation once it is.
    clock += 1_001;
    expect(await b.verifyToken(token)).toBeNull();
    // A replica that had not cached the key refuses it at once.
    expect(await new AuthService({ database, masterKey: MASTER, now }).verifyToken(token)).toBeNull();
  });

  test("one hash per call serves the master key comparison and the key lookup; the principal carries it", async () => {
    const auth = new AuthService({ database, masterKey: MASTER, now });
    const { token } = await auth.createKey({ label: "hashed", role: "admin" });
    const principal = await auth.verifyToken(token);
    expect(principal).toMatchObject({ via: "api_key", role: "admin", keyHash: createHash("sha256").update(token).digest("hex") });
    expect(await auth.verifyToken(MASTER)).toEqual({ via: "master_key", role: "admin", kind: "admin", label: "master key" });
    expect(await auth.verifyToken(`${MASTER}x`)).toBeNull();
    expect(await auth.verifyToken(`${token}x`)).toBeNull();
    expect(await auth.verifyToken("")).toBeNull();
  });
});
