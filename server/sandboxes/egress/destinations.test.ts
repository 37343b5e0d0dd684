/**
 * The egress proxy checks where a sandbox's request really goes (docs/security.md, "User-supplied
 * URLs and hosts"): loopback, private and metadata addresses are refused even when the agent's
 * allow-list names them, in any spelling, over HTTP and CONNECT; ports other than 80/443 need a
 * pattern or the operator; each connection resolves again and goes to the address it checked.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import net from "node:net";
import { type DnsStub, startDnsStub } from "../../../test/support/dns-stub";
import { AllowList } from "../../net/allow-list";
import { DestinationGuard } from "../../net/destinations";
import { listenLoopback } from "../host/lap-sockets";
import type { EgressPolicy } from "./policy";
import { createEgressProxy, type EgressRecord } from "./proxy";

let dns: DnsStub;
// Stands for LAP itself or a host service (Postgres, Redis) on loopback: nothing may reach it.
let lap: ReturnType<typeof Bun.serve>;
// Stands for an internal API the operator allowed (127.0.0.2 in LAP_ALLOW_PRIVATE_HOSTS).
let internal: ReturnType<typeof Bun.serve>;
const hits: string[] = [];
const records: EgressRecord[] = [];
const servers: net.Server[] = [];

beforeAll(async () => {
  dns = await startDnsStub();
  lap = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => (hits.push("lap"), new Response("lap internals")) });
  internal = Bun.serve({
    hostname: "127.0.0.2",
    port: 0,
    fetch: (req) => (
      hits.push(`internal ${req.headers.get("host")}${req.headers.get("authorization") ? ` ${req.headers.get("authorization")}` : ""}`),
      new Response("internal api")
    ),
  });
});
afterAll(async () => {
  for (const s of servers) s.close();
  lap?.stop(true);
  internal?.stop(true);
  await dns?.close();
});

async function proxyFor(allowHosts: string[], operatorAllows = "", stubs: EgressPolicy["stubs"] = []) {
  const policy: EgressPolicy = { allowHosts, stubs };
  const destinations = new DestinationGuard({ allow: AllowList.parse(operatorAllows), resolve: dns.resolver });
  const l = await listenLoopback(
    createEgressProxy({ sandboxId: "sbx_dest", policy: () => policy, destinations, record: (r) => records.push(r) }),
  );
  servers.push(l.server);
  return l.port;
}

/** The status line and body the proxy answers a CONNECT with. */
function connect(proxyPort: number, target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(proxyPort, "127.0.0.1", () => s.write(`CONNECT ${target} HTTP/1.1\r\nhost: ${target}\r\n\r\n`));
    let buf = "";
    s.on("data", (d) => {
      buf += d.toString();
      if (buf.startsWith("HTTP/1.1 200")) {
        s.destroy();
        resolve(buf);
      }
    });
    s.on("close", () => resolve(buf));
    s.on("error", reject);
  });
}

const viaProxy = (proxyPort: number, url: string) => fetch(url, { proxy: `http://127.0.0.1:${proxyPort}` });

describe("egress to non-public addresses", () => {
  test("listed loopback, metadata and private addresses are refused in every spelling, over HTTP and CONNECT, reaching nothing", async () => {
    const port = await proxyFor(["localhost", "127.0.0.1", "0.0.0.0", "169.254.169.254", "10.0.0.1"]);
    hits.length = 0;
    // (An IPv6 form cannot be listed at all: patterns are names and IPv4 addresses.)
    expect((await viaProxy(port, `http://[::ffff:127.0.0.1]:${lap.port}/`)).status).toBe(403);
    for (const host of ["127.0.0.1", "localhost", "127.1", "0x7f000001", "0.0.0.0"]) {
      const res = await viaProxy(port, `http://${host}:${lap.port}/`);
      expect([host, res.status]).toEqual([host, 403]);
      expect(await res.text()).toMatch(/(non-public address \(.*(loopback|unspecified)|names this machine).*LAP_ALLOW_PRIVATE_HOSTS/);
    }
    for (const target of [
      `127.0.0.1:${lap.port}`,
      `127.1:${lap.port}`,
      `localhost:${lap.port}`,
      `0.0.0.0:${lap.port}`,
      `[::ffff:127.0.0.1]:${lap.port}`,
      "169.254.169.254:80",
      "10.0.0.1:443",
    ]) {
      const answer = await connect(port, target);
      expect([target, answer.split("\r\n")[0]]).toEqual([target, "HTTP/1.1 403 Forbidden"]);
    }
    expect(hits).toEqual([]);
    expect(records.filter((r) => r.sandboxId === "sbx_dest").every((r) => r.outcome === "denied")).toBe(true);
  });

  test("a name that resolves to a private address is refused unless the operator allows it; then any port, or only the one named", async () => {
    dns.set("internal.test", ["127.0.0.2"]);
    hits.length = 0;
    const none = await proxyFor(["internal.test"]);
    expect((await viaProxy(none, `http://internal.test:${internal.port}/`)).status).toBe(403);
    const allowed = await proxyFor(["internal.test"], "127.0.0.2");
    const res = await viaProxy(allowed, `http://internal.test:${internal.port}/x`);
    expect(await res.text()).toBe("internal api");
    expect(hits).toEqual([`internal internal.test:${internal.port}`]);
    const otherPortOnly = await proxyFor(["internal.test"], `internal.test:${internal.port! + 1}`);
    expect((await viaProxy(otherPortOnly, `http://internal.test:${internal.port}/`)).status).toBe(403);
    expect(await connect(otherPortOnly, `internal.test:${internal.port}`)).toStartWith("HTTP/1.1 403");
    expect(await connect(allowed, `internal.test:${internal.port}`)).toStartWith("HTTP/1.1 200");
  });

  test("a secret bound to host:port is swapped only on that port", async () => {
    dns.set("internal.test", ["127.0.0.2"]);
    const stubs = [{ stub: "stub_tok_1", name: "TOK", real: "real-token", hosts: [`internal.test:${internal.port! + 1}`] }];
    const port = await proxyFor(["internal.test"], "127.0.0.2", stubs);
    hits.length = 0;
    await fetch(`http://internal.test:${internal.port}/`, {
      proxy: `http://127.0.0.1:${port}`,
      headers: { authorization: "Bearer stub_tok_1" },
    });
    expect(hits).toEqual([`internal internal.test:${internal.port} Bearer stub_tok_1`]);
    expect(records.at(-1)).toMatchObject({ host: "internal.test", swapped: [], refused: ["TOK"] });
    const bound = await proxyFor(["internal.test"], "127.0.0.2", [{ ...stubs[0]!, hosts: [`internal.test:${internal.port}`] }]);
    await fetch(`http://internal.test:${internal.port}/`, {
      proxy: `http://127.0.0.1:${bound}`,
      headers: { authorization: "Bearer stub_tok_1" },
    });
    expect(hits.at(-1)).toBe(`internal internal.test:${internal.port} Bearer real-token`);
  });

  test("public hosts get ports 80 and 443 only, unless the allow-list entry names the port", async () => {
    dns.set("api.public.test", ["93.184.216.34"]);
    const port = await proxyFor(["api.public.test"]);
    const answer = await connect(port, "api.public.test:6379");
    expect(answer).toStartWith("HTTP/1.1 403");
    expect(answer).toContain("port 6379 is not allowed");
    const named = await proxyFor(["api.public.test:6379"]);
    expect(await connect(named, "api.public.test:8080")).toContain("not on this agent's allow-list");
  });

  test("DNS rebinding: each connection resolves again, and goes to the address it checked", async () => {
    dns.set("rebind.test", ["127.0.0.2"], ["127.0.0.1"]);
    const port = await proxyFor(["rebind.test"], "127.0.0.2");
    hits.length = 0;
    expect(await (await viaProxy(port, `http://rebind.test:${internal.port}/`)).text()).toBe("internal api");
    const second = await viaProxy(port, `http://rebind.test:${lap.port}/`);
    expect(second.status).toBe(403);
    expect(await second.text()).toContain("non-public address (127.0.0.1: loopback)");
    expect(await connect(port, `rebind.test:${lap.port}`)).toStartWith("HTTP/1.1 403");
    expect(hits).toEqual([`internal rebind.test:${internal.port}`]);
  });
});
