/**
 * The egress proxy: denied by default, allow-list per agent, vault stubs swapped only toward bound
 * hosts (and recorded), and the same from inside a real bubblewrap sandbox through its bridge.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type net from "node:net";
import { createLogger } from "../../lib/logger";
import { type ScriptedOpenAI, startScriptedOpenAI } from "../../../test/support/scripted-openai";
import { listenLoopback } from "../host/lap-sockets";
import { LocalSandboxProvider } from "../local-provider";
import { sandboxSpecFor } from "../runtime/spec";
import { SupervisorClient } from "../supervisor-client";
import { binding, providerOptions, toolOutputs } from "../test-helpers";
import { EgressLog, EgressPolicies, egressFactory } from "./index";
import { EgressCa } from "./ca";
import { MitmServers } from "./mitm";
import { mintStubs } from "./policy";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEgressProxy, type EgressRecord } from "./proxy";
import { DestinationGuard } from "../../net/destinations";
import { loopbackFakesAllowed } from "../../../test/support/destinations";

// Stands for an external API (api.github.com, ...): records what actually arrived.
let upstream: ReturnType<typeof Bun.serve>;
// The same API over HTTPS, with a certificate from a CA standing in for a public one.
let upstreamTls: ReturnType<typeof Bun.serve>;
const publicCa = new EgressCa(mkdtempSync(join(tmpdir(), "lap-public-ca-")));
const lapCa = new EgressCa(mkdtempSync(join(tmpdir(), "lap-egress-ca-")));
const received: Array<{ auth: string | null; body: string }> = [];
let proxyServer: net.Server;
let proxyPort: number;
const records: EgressRecord[] = [];
const { env: stubEnv, rules } = mintStubs([{ name: "GITHUB_TOKEN", value: "ghp_REAL_SECRET_VALUE", hosts: ["localhost"] }]);
const stub = stubEnv.GITHUB_TOKEN!;

beforeAll(async () => {
  upstream = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      received.push({ auth: req.headers.get("authorization"), body: await req.text() });
      return new Response("upstream says hi");
    },
  });
  upstreamTls = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    tls: await publicCa.leaf("localhost"),
    async fetch(req: Request) {
      received.push({ auth: req.headers.get("authorization"), body: await req.text() });
      return new Response("tls upstream says hi");
    },
  } as unknown as Parameters<typeof Bun.serve>[0]);
  await lapCa.init();
  const l = await listenLoopback(
    createEgressProxy({
      sandboxId: "sbx_unit",
      destinations: loopbackFakesAllowed(),
      policy: () => ({ allowHosts: ["localhost", "127.0.0.1"], stubs: rules }),
      record: (r) => records.push(r),
    }),
  );
  proxyServer = l.server;
  proxyPort = l.port;
}, 60_000);

afterAll(() => {
  proxyServer.close();
  upstream.stop(true);
  upstreamTls.stop(true);
});

const viaProxy = (host: string, init: RequestInit = {}) =>
  fetch(`http://${host}:${upstream.port}/api`, { ...init, proxy: `http://127.0.0.1:${proxyPort}` });

describe("egress proxy", () => {
  test("a stub becomes the real value only toward its bound host, in headers and JSON bodies; each use is recorded", async () => {
    received.length = 0;
    const res = await viaProxy("localhost", {
      method: "POST",
      headers: { authorization: `Bearer ${stub}`, "content-type": "application/json" },
      body: JSON.stringify({ token: stub }),
    });
    expect(await res.text()).toBe("upstream says hi");
    expect(received[0]).toEqual({ auth: "Bearer ghp_REAL_SECRET_VALUE", body: JSON.stringify({ token: "ghp_REAL_SECRET_VALUE" }) });
    expect(records.at(-1)).toMatchObject({ host: "localhost", outcome: "allowed", swapped: ["GITHUB_TOKEN"], refused: [] });

    await viaProxy("127.0.0.1", { headers: { authorization: `Bearer ${stub}` } });
    expect(received[1]!.auth).toBe(`Bearer ${stub}`);
    expect(records.at(-1)).toMatchObject({ host: "127.0.0.1", swapped: [], refused: ["GITHUB_TOKEN"] });
    expect(JSON.stringify(records)).not.toContain("ghp_REAL_SECRET_VALUE");
  });

  test("hosts off the allow-list are refused (HTTP and CONNECT), with nothing sent upstream", async () => {
    const deny = createEgressProxy({
      sandboxId: "sbx_deny",
      destinations: loopbackFakesAllowed(),
      policy: () => ({ allowHosts: [], stubs: [] }),
      record: (r) => records.push(r),
    });
    const l = await listenLoopback(deny);
    received.length = 0;
    const res = await fetch(`http://localhost:${upstream.port}/api`, { proxy: `http://127.0.0.1:${l.port}` });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("not on this agent's allow-list");
    const tls = await fetch(`https://localhost:${upstream.port}/`, { proxy: `http://127.0.0.1:${l.port}` }).catch((e) => e);
    expect(tls instanceof Error || (tls as Response).status === 403).toBe(true);
    expect(received).toHaveLength(0);
    expect(records.filter((r) => r.sandboxId === "sbx_deny").map((r) => [r.method, r.outcome])).toEqual([
      ["GET", "denied"],
      ["CONNECT", "denied"],
    ]);
    l.server.close();
  });
});

describe("egress proxy over HTTPS", () => {
  test("a bound host's tunnel is terminated with LAP's CA and the stub swapped; other hosts get a blind tunnel", async () => {
    const mitm = new MitmServers(lapCa);
    const l = await listenLoopback(
      createEgressProxy({
        sandboxId: "sbx_tls",
        destinations: loopbackFakesAllowed(),
        policy: () => ({ allowHosts: ["localhost", "127.0.0.1"], stubs: rules }),
        record: (r) => records.push(r),
        mitm,
        upstreamTls: { ca: publicCa.caPem },
      }),
    );
    const proxy = `http://127.0.0.1:${l.port}`;
    received.length = 0;
    const res = await fetch(`https://localhost:${upstreamTls.port}/api`, {
      method: "POST",
      headers: { authorization: `Bearer ${stub}`, "content-type": "application/json" },
      body: JSON.stringify({ t: stub }),
      proxy,
      tls: { ca: lapCa.caPem },
    } as RequestInit);
    expect(await res.text()).toBe("tls upstream says hi");
    expect(received[0]).toEqual({ auth: "Bearer ghp_REAL_SECRET_VALUE", body: JSON.stringify({ t: "ghp_REAL_SECRET_VALUE" }) });
    expect(records.at(-1)).toMatchObject({ sandboxId: "sbx_tls", method: "POST", host: "localhost", swapped: ["GITHUB_TOKEN"] });

    // 127.0.0.1 has no bound secret: the client talks TLS to the real server (its CA, not LAP's).
    const blind = await fetch(`https://127.0.0.1:${upstreamTls.port}/api`, {
      headers: { authorization: `Bearer ${stub}` },
      proxy,
      tls: { ca: publicCa.caPem, checkServerIdentity: () => undefined },
    } as RequestInit);
    expect(await blind.text()).toBe("tls upstream says hi");
    expect(received[1]!.auth).toBe(`Bearer ${stub}`);
    l.server.close();
    await mitm.close();
  });
});

describe("egress from inside a bubblewrap sandbox", () => {
  let model: ScriptedOpenAI;
  let provider: LocalSandboxProvider;
  const policies = new EgressPolicies();
  const log = new EgressLog();

  beforeAll(() => {
    model = startScriptedOpenAI();
    provider = new LocalSandboxProvider(
      // The operator allows `localhost` (the fake API) by name, nothing else on loopback.
      providerOptions(() => model.port, {
        egress: egressFactory(policies, log, createLogger("silent"), {
          destinations: DestinationGuard.fromEnv({ LAP_ALLOW_PRIVATE_HOSTS: "localhost" }),
          ca: lapCa,
          upstreamTls: { ca: publicCa.caPem },
        }),
        egressCa: lapCa,
      }),
    );
  }, 60_000);
  afterAll(async () => {
    await provider.shutdown();
    await model.stop();
  });

  test("the agent sees only a stub; curl through HTTP_PROXY reaches the allowed host with the real value; others, and loopback or metadata addresses even when listed, are refused", async () => {
    const { spec } = sandboxSpecFor(
      { id: "agent_e", harness: "builtin", environment: {}, egressAllowHosts: ["localhost", "127.0.0.1", "169.254.169.254"] },
      {},
      {
        secrets: [{ name: "GITHUB_TOKEN", value: "ghp_REAL_IN_SANDBOX_TEST", hosts: ["localhost"] }],
        policies,
      },
    );
    const h = await provider.create({ ...spec, workspaceId: "ws-egress" });
    await provider.waitReady(h.id, { timeoutMs: 20_000 });
    await provider.bind(h.id, binding("ses_egress", model.url));
    const client = new SupervisorClient(await provider.connect(h.id), "ses_egress");
    received.length = 0;
    model.script([
      {
        toolCalls: [
          {
            name: "bash",
            arguments: {
              command: [
                "echo TOKEN=$GITHUB_TOKEN",
                // NO_PROXY lists localhost for the gateway bridge; force the proxy for this call.
                `curl -s --noproxy '' -H "Authorization: Bearer $GITHUB_TOKEN" http://localhost:${upstream.port}/api; echo`,
                `curl -s --noproxy '' -w 'OTHER=%{http_code}\\n' http://127.0.0.1:${upstream.port}/api`,
                `curl -s --noproxy '' -o /dev/null -w 'METADATA=%{http_code}\\n' http://169.254.169.254/latest/meta-data/`,
                `curl -sS --noproxy '' -H "Authorization: Bearer $GITHUB_TOKEN" https://localhost:${upstreamTls.port}/api; echo`,
                `curl -s --noproxy '' -o /dev/null -w 'TLS=%{http_code}\\n' https://example.com/ || true`,
                "grep -rl ghp_REAL_IN_SANDBOX_TES[T] /proc/[0-9]*/environ /workspace /tmp 2>/dev/null; echo SCAN_DONE",
              ].join("; "),
            },
          },
        ],
      },
      { text: "ok" },
    ]);
    const out = toolOutputs(await client.runTurn("call the api"));
    expect(out).toMatch(/TOKEN=stub_github_token_[0-9a-f]{12}/);
    expect(out).toContain("upstream says hi");
    expect(out).toContain("tls upstream says hi");
    expect(out).toContain("OTHER=403");
    expect(out).toContain("127.0.0.1 resolves to a non-public address (127.0.0.1: loopback)");
    expect(out).toContain("METADATA=403");
    expect(out).toMatch(/TLS=(403|000)/);
    expect(out).not.toContain("ghp_REAL_IN_SANDBOX_TEST");
    expect(received.map((r) => r.auth)).toEqual(["Bearer ghp_REAL_IN_SANDBOX_TEST", "Bearer ghp_REAL_IN_SANDBOX_TEST"]);
    expect(log.list(h.id).map((r) => [r.host, r.outcome, r.swapped.join(",")])).toEqual([
      ["localhost", "allowed", "GITHUB_TOKEN"],
      ["127.0.0.1", "denied", ""],
      ["169.254.169.254", "denied", ""],
      ["localhost", "allowed", ""],
      ["localhost", "allowed", "GITHUB_TOKEN"],
      ["example.com", "denied", ""],
    ]);
    await provider.destroy(h.id);
  }, 30_000);
});
