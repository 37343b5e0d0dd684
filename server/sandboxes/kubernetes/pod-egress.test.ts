/**
 * LAP's egress proxy for pods, on its own: plain HTTP through it with per-sandbox credentials in the
 * proxy URL (as curl and Bun send them), each sandbox held to its own policy, 407 for anything else.
 * The whole path (real supervisor in a fake pod, HTTPS swap) is in vault-egress.test.ts.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "../../lib/logger";
import { EgressLog, EgressPolicies } from "../egress";
import { EgressCa } from "../egress/ca";
import { podEgressEnv } from "./egress-env";
import { parseProxyBasic, PodEgressProxy } from "./pod-egress";
import { waitFor } from "../../../test/support/api-client";
import { loopbackFakesAllowed } from "../../../test/support/destinations";

let upstream: ReturnType<typeof Bun.serve>;
let proxy: PodEgressProxy;
const log = new EgressLog();
const policies = new EgressPolicies();
const seen: Array<string | null> = [];

beforeAll(async () => {
  upstream = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (req) => (seen.push(req.headers.get("authorization")), new Response("upstream ok")),
  });
  policies.set("egp_a", { allowHosts: ["127.0.0.1"], stubs: [{ stub: "stub_a", name: "TOKEN_A", real: "real-a", hosts: ["127.0.0.1"] }] });
  proxy = new PodEgressProxy({
    policies,
    sink: log,
    logger: createLogger("silent"),
    ca: new EgressCa(mkdtempSync(join(tmpdir(), "lap-pod-egress-"))),
    destinations: loopbackFakesAllowed(),
    listenPort: 0,
    listenHost: "127.0.0.1",
  });
  await proxy.listen();
  proxy.register("lap-a", { token: "token-a", policyId: "egp_a", allowHosts: [] });
  proxy.register("lap-b", { token: "token-b", allowHosts: [] });
});
afterAll(async () => {
  await proxy?.close();
  upstream.stop(true);
});

const via = async (user: string, pass: string) => {
  const env = podEgressEnv({
    sandboxId: user,
    token: pass,
    host: "127.0.0.1",
    port: await proxy.port(),
    gatewayBaseUrl: "http://lap.example:3000/v1",
  });
  const res = await fetch(`http://127.0.0.1:${upstream.port}/x`, {
    headers: { authorization: "Bearer stub_a" },
    proxy: env.HTTP_PROXY,
  } as RequestInit);
  return { status: res.status, env };
};

test("each sandbox's credentials select its own policy; wrong or unknown credentials get 407 and no record", async () => {
  const a = await via("lap-a", "token-a");
  expect(a.status).toBe(200);
  expect(seen).toEqual(["Bearer real-a"]);
  expect(a.env.NO_PROXY).toBe("lap.example,127.0.0.1,localhost");
  expect(a.env.https_proxy).toBe(a.env.HTTP_PROXY);
  // lap-b has no secrets and an empty allow-list: the same request is refused for it.
  expect((await via("lap-b", "token-b")).status).toBe(403);
  expect((await via("lap-a", "token-b")).status).toBe(407);
  expect((await via("lap-zzz", "token-a")).status).toBe(407);
  expect(seen).toHaveLength(1);
  expect(log.list().map((r) => [r.sandboxId, r.outcome, r.swapped])).toEqual([
    ["lap-a", "allowed", ["TOKEN_A"]],
    ["lap-b", "denied", []],
  ]);
  // Unregistered (its sandbox destroyed): the token no longer works, and its policy is dropped.
  proxy.unregister("lap-a");
  expect((await via("lap-a", "token-a")).status).toBe(407);
  expect(policies.size).toBe(0);
});

test("Proxy-Authorization parsing takes Basic id:token only", () => {
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  expect(parseProxyBasic(`Basic ${b64("lap-1:tok:with:colons")}`)).toEqual(["lap-1", "tok:with:colons"]);
  expect(parseProxyBasic(`Bearer ${b64("lap-1:tok")}`)).toBeNull();
  expect(parseProxyBasic(`Basic ${b64(":tok")}`)).toBeNull();
  expect(parseProxyBasic(undefined)).toBeNull();
});

test("lookups of unknown sandboxes are bounded: at most maxConcurrent in flight, a miss is remembered for missTtlMs", async () => {
  const asked: string[] = [];
  const pending: Array<(found: boolean) => void> = [];
  const bounded = new PodEgressProxy({
    policies,
    sink: log,
    logger: createLogger("silent"),
    ca: new EgressCa(mkdtempSync(join(tmpdir(), "lap-pod-egress-"))),
    destinations: loopbackFakesAllowed(),
    listenPort: 0,
    listenHost: "127.0.0.1",
    lookupUnknown: (id) => {
      asked.push(id);
      return new Promise<boolean>((resolve) => pending.push(resolve));
    },
    // A miss is remembered for 2 s: far from the few ms the checks below need, even on a loaded machine.
    lookupLimits: { maxConcurrent: 2, missTtlMs: 2_000, timeoutMs: 2_000 },
  });
  await bounded.listen();
  const port = await bounded.port();
  const through = async (user: string) => {
    const res = await fetch(`http://127.0.0.1:${upstream.port}/x`, { proxy: `http://${user}:guess@127.0.0.1:${port}` } as RequestInit);
    return res.status;
  };
  try {
    const served = seen.length;
    const first = [through("lap-q1"), through("lap-q2")];
    await waitFor("two lookups", () => asked.length >= 2, 4_000);
    expect(asked).toEqual(["lap-q1", "lap-q2"]);
    // Two in flight: the next unknown ids get 407 at once, without a lookup.
    expect(await Promise.all([through("lap-q3"), through("lap-q4")])).toEqual([407, 407]);
    expect(asked).toEqual(["lap-q1", "lap-q2"]);
    for (const r of pending.splice(0)) r(false);
    expect(await Promise.all(first)).toEqual([407, 407]);
    // Remembered misses: no lookup; an id skipped for the bound is looked up now.
    expect(await through("lap-q1")).toBe(407);
    expect(asked).toEqual(["lap-q1", "lap-q2"]);
    const q3 = through("lap-q3");
    await waitFor("the lookup of lap-q3", () => asked.length >= 3, 4_000);
    expect(asked).toEqual(["lap-q1", "lap-q2", "lap-q3"]);
    pending.splice(0).forEach((r) => r(false));
    expect(await q3).toBe(407);
    // After missTtlMs the id is looked up again (a pod bound since then is found).
    await Bun.sleep(2_100);
    const again = through("lap-q1");
    await waitFor("lap-q1 looked up again", () => asked.length >= 4, 4_000);
    expect(asked.filter((id) => id === "lap-q1")).toHaveLength(2);
    pending.splice(0).forEach((r) => r(false));
    expect(await again).toBe(407);
    expect(seen.length).toBe(served);
  } finally {
    await bounded.close();
  }
}, 15_000);

test("a lookup that hangs answers 407 after timeoutMs and keeps its slot until it settles", async () => {
  let calls = 0;
  let release: (found: boolean) => void = () => {};
  const slow = new PodEgressProxy({
    policies,
    sink: log,
    logger: createLogger("silent"),
    ca: new EgressCa(mkdtempSync(join(tmpdir(), "lap-pod-egress-"))),
    destinations: loopbackFakesAllowed(),
    listenPort: 0,
    listenHost: "127.0.0.1",
    lookupUnknown: () => (calls++, new Promise<boolean>((resolve) => (release = resolve))),
    lookupLimits: { maxConcurrent: 1, timeoutMs: 150 },
  });
  try {
    const started = Date.now();
    expect(await slow.authorize(`Basic ${Buffer.from("lap-slow:x").toString("base64")}`)).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    // Still in flight after the request gave up: another id is not looked up (the bound holds).
    expect(await slow.authorize(`Basic ${Buffer.from("lap-other:x").toString("base64")}`)).toBeNull();
    expect(calls).toBe(1);
    release(false);
  } finally {
    await slow.close();
  }
});
