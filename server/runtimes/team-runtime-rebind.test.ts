/**
 * A team admin's runtime URL (issue 21, docs/security.md "User-supplied URLs and hosts"): refused at
 * registration when it names a non-public address, and checked again after resolution on every
 * connection, so a name that resolved to a public address when registered and to loopback later (DNS
 * rebinding) never makes LAP send the runtime's key to a local service. An org admin's runtime is the
 * operator's choice and is reached as configured. The DNS stub stands for the internet's DNS.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { createTestApp, type TestApp } from "../../test/support/app";
import { type DnsStub, startDnsStub } from "../../test/support/dns-stub";
import { makeTeam, makeUser } from "../../test/support/teams";
import { DestinationGuard } from "../net/destinations";

// Users get argon2id password hashes, slow on purpose.
setDefaultTimeout(60_000);

let t: TestApp;
let dns: DnsStub;
let local: ReturnType<typeof Bun.serve>;
const seen: Array<{ path: string; key: string | null }> = [];

beforeAll(async () => {
  dns = await startDnsStub();
  // A service on LAP's own machine that the runtime's key must never reach through a team's runtime.
  local = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (req) => (seen.push({ path: new URL(req.url).pathname, key: req.headers.get("x-api-key") }), Response.json({ data: [] })),
  });
  t = await createTestApp({}, { destinations: DestinationGuard.fromEnv({}, dns.resolver) });
});
afterAll(async () => {
  await t?.close();
  local?.stop(true);
  await dns?.close();
});

test("a team admin's runtime whose name later resolves to loopback is refused on connection, and its key never reaches the local service", async () => {
  const team = await makeTeam(t, "Rebinders");
  const adminA = (await makeUser(t, "rebind-admin@example.com", team, "admin")).key;
  dns.set("runtime.rebind.test", ["203.0.113.20"]);
  const made = await t.json("POST", "/api/runtimes", {
    key: adminA,
    body: { alias: "rebind", base_url: `http://runtime.rebind.test:${local.port}`, api_key: "team-runtime-key" },
  });
  expect(made.status).toBe(201);
  // Later the name points at LAP's own machine.
  dns.set("runtime.rebind.test", ["127.0.0.1"]);
  const tested = await t.json("POST", `/api/runtimes/${made.body.id}/test`, { key: adminA });
  expect(tested.status).toBe(200);
  expect(tested.body.status).toBe("error");
  expect(String(tested.body.status_message)).toMatch(/not a public address|loopback|refused/i);
  expect(seen.filter((s) => s.key === "team-runtime-key")).toEqual([]);
});

test("an org admin's runtime on a private address is the operator's choice: reached as configured", async () => {
  const made = await t.json("POST", "/api/runtimes", {
    body: { alias: "ops-local", base_url: `http://127.0.0.1:${local.port}`, api_key: "operator-runtime-key" },
  });
  expect(made.status).toBe(201);
  await t.json("POST", `/api/runtimes/${made.body.id}/test`);
  expect(seen.some((s) => s.key === "operator-runtime-key")).toBe(true);
});
