/**
 * Backoff on failed logins and failed bearer keys (issue 15, item 11): per client address and per key
 * prefix, bounded memory, 429 with Retry-After, and no easy way for an attacker to lock the admin out.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestApp, TEST_MASTER_KEY, type TestApp } from "../../test/support/app";
import { AuthBackoff, DEFAULT_BACKOFF } from "./backoff";

describe("AuthBackoff", () => {
  const clock = () => {
    let now = 1_000_000;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  };

  test("free failures, then blocks that double up to the cap, and forgets a quiet bucket", () => {
    const c = clock();
    const b = new AuthBackoff(
      { ...DEFAULT_BACKOFF, ipFreeFailures: 3, baseBlockMs: 1_000, maxBlockMs: 4_000, forgetAfterMs: 60_000 },
      c.now,
    );
    const ip = ["ip:10.0.0.1"];
    for (let i = 0; i < 3; i++) b.fail(ip);
    expect(b.blockedFor(ip)).toBe(0);
    b.fail(ip);
    expect(b.blockedFor(ip)).toBe(1_000);
    b.fail(ip);
    expect(b.blockedFor(ip)).toBe(2_000);
    b.fail(ip);
    b.fail(ip);
    expect(b.blockedFor(ip)).toBe(4_000); // capped
    c.advance(4_000);
    expect(b.blockedFor(ip)).toBe(0);
    // Another address is not affected by this one's failures.
    expect(b.blockedFor(["ip:10.0.0.2"])).toBe(0);
    c.advance(61_000);
    b.fail(ip);
    expect(b.blockedFor(ip)).toBe(0); // the count started again
  });

  test("a success clears its key prefix's bucket, never an address's", () => {
    const b = new AuthBackoff({ ...DEFAULT_BACKOFF, ipFreeFailures: 1, prefixFreeFailures: 1 });
    const buckets = ["ip:10.0.0.1", "prefix:sk-lap-abcd"];
    b.fail(buckets);
    b.fail(buckets);
    expect(b.blockedFor(["prefix:sk-lap-abcd"])).toBeGreaterThan(0);
    b.succeed(buckets);
    expect(b.blockedFor(["prefix:sk-lap-abcd"])).toBe(0);
    expect(b.blockedFor(["ip:10.0.0.1"])).toBeGreaterThan(0);
  });

  test("memory stays bounded under a spray of addresses", () => {
    const b = new AuthBackoff({ ...DEFAULT_BACKOFF, maxBuckets: 100 });
    for (let i = 0; i < 5_000; i++) b.fail([`ip:10.0.${i >> 8}.${i & 255}`]);
    expect(b.size).toBe(100);
  });

  test("the master key has no prefix bucket: nobody can lock it out everywhere", () => {
    const keyPrefix = (tok: string) => (tok.startsWith("sk-lap-") ? tok.slice(0, 11) : undefined);
    expect(AuthBackoff.bucketsOf("my-master-key-guess", "10.0.0.1", keyPrefix)).toEqual(["ip:10.0.0.1"]);
    expect(AuthBackoff.bucketsOf("sk-lap-abcdefgh", undefined, keyPrefix)).toEqual(["prefix:sk-lap-abcd"]);
  });

  test("plain loopback has no address bucket (the operator's CLI); a sandbox behind its bridge has its own (bridge-backoff.test.ts)", () => {
    const none = () => undefined;
    for (const ip of ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"]) expect(AuthBackoff.bucketsOf("guess", ip, none)).toEqual([]);
    expect(AuthBackoff.bucketsOf("guess", "::ffff:10.1.2.3", none)).toEqual(["ip:::ffff:10.1.2.3"]);
    expect(AuthBackoff.bucketsOf("guess", "sandbox:sbx_0123", none)).toEqual(["ip:sandbox:sbx_0123"]);
  });
});

describe("over HTTP", () => {
  let t: TestApp;
  let base = "";
  beforeAll(async () => {
    // One trusted proxy, so each test's client address comes from X-Forwarded-For.
    t = await createTestApp(
      { LAP_TRUSTED_PROXY_HOPS: "1" },
      { authBackoff: { ipFreeFailures: 5, prefixFreeFailures: 8, baseBlockMs: 60_000 } },
    );
    t.app.listen({ port: 0, hostname: "127.0.0.1" });
    base = `http://127.0.0.1:${t.app.server!.port}`;
  }, 60_000);
  afterAll(async () => {
    await t?.app.server?.stop(true);
    await t?.close();
  });

  const call = (key: string, from: string, path = "/api/keys") =>
    fetch(`${base}${path}`, { headers: { authorization: `Bearer ${key}`, "x-forwarded-for": `203.0.113.50, ${from}` } });
  const login = (key: string, from: string) =>
    fetch(`${base}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": from },
      body: JSON.stringify({ key }),
    });

  test("wrong bearer keys from one address: 401s, then 429 with Retry-After, even for the right key; other addresses carry on", async () => {
    const from = "198.51.100.1";
    for (let i = 0; i < 6; i++) expect((await call(`wrong-${i}`, from)).status).toBe(401);
    const blocked = await call(TEST_MASTER_KEY, from);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await blocked.json()).error.code).toBe("rate_limited");
    expect((await call(TEST_MASTER_KEY, "198.51.100.2")).status).toBe(200);
  });

  test("failed logins count too, and a signed-in dashboard keeps working while its address is blocked", async () => {
    const from = "198.51.100.3";
    const ok = await login(TEST_MASTER_KEY, from);
    expect(ok.status).toBe(200);
    const cookie = ok.headers.get("set-cookie")!.split(";")[0]!;
    for (let i = 0; i < 6; i++) expect((await login(`guess-${i}`, from)).status).toBe(401);
    const blocked = await login(TEST_MASTER_KEY, from);
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get("set-cookie")).toBeNull();
    expect((await fetch(`${base}/api/auth/me`, { headers: { cookie, "x-forwarded-for": from } })).status).toBe(200);
  });

  test("a direct loopback caller (no X-Forwarded-For: the local CLI) is never blocked by address", async () => {
    for (let i = 0; i < 12; i++)
      expect((await fetch(`${base}/api/keys`, { headers: { authorization: `Bearer wrong-${i}` } })).status).toBe(401);
    expect((await fetch(`${base}/api/keys`, { headers: { authorization: `Bearer ${TEST_MASTER_KEY}` } })).status).toBe(200);
  });

  test("guesses at one key prefix from many addresses block that prefix only", async () => {
    const { token } = await t.services.auth.createKey({ label: "target", role: "admin" });
    const prefix = token.slice(0, 11);
    for (let i = 0; i < 9; i++) expect((await call(`${prefix}${"x".repeat(20)}${i}`, `192.0.2.${i}`)).status).toBe(401);
    expect((await call(token, "192.0.2.200")).status).toBe(429);
    // Another key is unaffected.
    expect((await call(TEST_MASTER_KEY, "192.0.2.201")).status).toBe(200);
  });
});
