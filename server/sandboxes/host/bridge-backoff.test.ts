/**
 * Failed keys through a sandbox's LAP bridge are slowed per sandbox (docs/security.md, "Backoff on
 * guessing"). Before this, every bridge reached LAP from loopback, which has no backoff bucket (the
 * operator's CLI lives there too), so a sandbox could guess keys without limit. The real app on
 * loopback, two real bridges (as two sandboxes have), and raw requests on their sockets as a
 * sandbox's programs would send them, including a forged bridge header.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestApp, TEST_MASTER_KEY, type TestApp } from "../../../test/support/app";
import { BRIDGE_CLIENT_HEADER, bridgeClientTag } from "../../http/bridge-client";
import { type LapBridge, listenLapBridge } from "./lap-bridge";

let t: TestApp;
let port = 0;
const dir = mkdtempSync(join(tmpdir(), "lap-bridge-backoff-"));
const bridges: LapBridge[] = [];
const socketOf = (id: string) => join(dir, `${id}.sock`);

beforeAll(async () => {
  t = await createTestApp({}, { authBackoff: { ipFreeFailures: 3, prefixFreeFailures: 100, baseBlockMs: 60_000 } });
  t.app.listen({ port: 0, hostname: "127.0.0.1" });
  port = t.app.server!.port!;
  for (const id of ["sbx_a", "sbx_b", "sbx_c"])
    bridges.push(listenLapBridge(socketOf(id), () => ({ host: "127.0.0.1", port }), undefined, id));
}, 60_000);
afterAll(async () => {
  for (const b of bridges) await b.close();
  await t?.app.server?.stop(true);
  await t?.close();
});

const wrongKey = () => `sk-lap-${randomBytes(18).toString("base64url")}`;
/** GET /v1/models (a route the bridge forwards) with `key`, from inside sandbox `id`. */
const fromSandbox = (id: string, key: string, headers: Record<string, string> = {}) =>
  fetch("http://lap/v1/models", { unix: socketOf(id), headers: { authorization: `Bearer ${key}`, ...headers } } as RequestInit);
const fromHost = (key: string, headers: Record<string, string> = {}) =>
  fetch(`http://127.0.0.1:${port}/v1/models`, { headers: { authorization: `Bearer ${key}`, ...headers } });

describe("backoff through the LAP bridge", () => {
  test("a sandbox guessing keys is slowed (429, even for a good key), without slowing another sandbox or the host's loopback", async () => {
    for (let i = 0; i < 3; i++) expect((await fromSandbox("sbx_a", wrongKey())).status).toBe(401);
    expect((await fromSandbox("sbx_a", wrongKey())).status).toBe(401);
    const blocked = await fromSandbox("sbx_a", TEST_MASTER_KEY);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // Another sandbox, and the operator on loopback, are not blocked.
    expect((await fromSandbox("sbx_b", TEST_MASTER_KEY)).status).toBe(200);
    expect((await fromSandbox("sbx_b", wrongKey())).status).toBe(401);
    for (let i = 0; i < 6; i++) expect((await fromHost(wrongKey())).status).toBe(401);
    expect((await fromHost(TEST_MASTER_KEY)).status).toBe(200);
  });

  test("a sandbox cannot speak as another: the bridge replaces the header it sends, and a forged one on LAP's port counts for nothing", async () => {
    // sbx_c claims to be sbx_b with a genuine-looking tag (as if it had learnt one): it is still sbx_c.
    const asB = { [BRIDGE_CLIENT_HEADER]: bridgeClientTag("sbx_b") };
    for (let i = 0; i < 4; i++) expect((await fromSandbox("sbx_c", wrongKey(), asB)).status).toBe(401);
    expect((await fromSandbox("sbx_c", TEST_MASTER_KEY, asB)).status).toBe(429);
    expect((await fromSandbox("sbx_b", TEST_MASTER_KEY)).status).toBe(200);
    // A made-up tag sent straight to LAP's port names no sandbox: it is plain loopback (no bucket).
    const forged = { [BRIDGE_CLIENT_HEADER]: `sbx_b.${randomBytes(32).toString("base64url")}` };
    for (let i = 0; i < 6; i++) expect((await fromHost(wrongKey(), forged)).status).toBe(401);
    expect((await fromSandbox("sbx_b", TEST_MASTER_KEY)).status).toBe(200);
  });
});
