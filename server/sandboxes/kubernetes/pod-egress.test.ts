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

let upstream: ReturnType<typeof Bun.serve>;
let proxy: PodEgressProxy;
const log = new EgressLog();
const policies = new EgressPolicies();
const seen: Array<string | null> = [];

beforeAll(async () => {
  upstream = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (req) => (seen.push(req.headers.get("authorization")), new Response("upstream ok")) });
  policies.set("egp_a", { allowHosts: ["127.0.0.1"], stubs: [{ stub: "stub_a", name: "TOKEN_A", real: "real-a", hosts: ["127.0.0.1"] }] });
  proxy = new PodEgressProxy({
    policies, sink: log, logger: createLogger("silent"), ca: new EgressCa(mkdtempSync(join(tmpdir(), "lap-pod-egress-"))),
    listenPort: 0, listenHost: "127.0.0.1",
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
  const env = podEgressEnv({ sandboxId: user, token: pass, host: "127.0.0.1", port: await proxy.port(), gatewayBaseUrl: "http://lap.example:3000/v1" });
  const res = await fetch(`http://127.0.0.1:${upstream.port}/x`, { headers: { authorization: "Bearer stub_a" }, proxy: env.HTTP_PROXY } as RequestInit);
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
  expect(log.list().map((r) => [r.sandboxId, r.outcome, r.swapped])).toEqual([["lap-a", "allowed", ["TOKEN_A"]], ["lap-b", "denied", []]]);
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
