/**
 * The destination check (docs/security.md, "User-supplied URLs and hosts"): which addresses are
 * public, the operator's allow-list, resolution where every answer must pass, connections pinned to
 * the checked address (DNS rebinding through a local DNS stub), and redirects checked per hop.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type DnsStub, startDnsStub } from "../../test/support/dns-stub";
import { ConfigError, parseEnv } from "../config/load";
import { nonPublicRange, parseIp } from "./addresses";
import { AllowList, parseAllowEntry } from "./allow-list";
import { DestinationGuard, DestinationRefused } from "./destinations";
import { pinnedFetch } from "./pinned-fetch";

let dns: DnsStub;
beforeAll(async () => {
  dns = await startDnsStub();
});
afterAll(async () => {
  await dns?.close();
});

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e) => (e instanceof DestinationRefused ? e.reason : `unexpected: ${e}`),
  );

describe("addresses", () => {
  test("loopback, private, link-local, metadata, CGNAT, unique-local, mapped, NAT64, multicast, reserved: none is public", () => {
    const cases: Array<[string, string]> = [
      ["127.0.0.1", "loopback"],
      ["127.1", "loopback"],
      ["0x7f000001", "loopback"],
      ["2130706433", "loopback"],
      ["::1", "loopback"],
      ["::ffff:127.0.0.1", "loopback"],
      ["::ffff:7f00:1", "loopback"],
      ["::127.0.0.1", "loopback"],
      ["0.0.0.0", "unspecified"],
      ["0", "unspecified"],
      ["::", "unspecified"],
      ["10.1.2.3", "private"],
      ["172.16.0.1", "private"],
      ["192.168.1.1", "private"],
      ["::ffff:10.0.0.1", "private"],
      ["169.254.169.254", "linkLocal"],
      ["fe80::1", "linkLocal"],
      ["100.64.0.1", "carrierGradeNat"],
      ["fd00::1", "uniqueLocal"],
      ["64:ff9b::7f00:1", "rfc6052"],
      ["224.0.0.1", "multicast"],
      ["ff02::1", "multicast"],
      ["255.255.255.255", "broadcast"],
      ["192.0.2.1", "reserved"],
      ["198.51.100.7", "reserved"],
      ["2001:db8::1", "reserved"],
      ["2002:7f00:1::1", "6to4"],
      ["4000::1", "reserved"],
    ];
    for (const [address, range] of cases) expect([address, nonPublicRange(address)]).toEqual([address, range]);
    for (const address of ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
      expect([address, nonPublicRange(address)]).toEqual([address, null]);
    expect(parseIp("example.com")).toBeNull();
  });
});

describe("the operator's allow-list (LAP_ALLOW_PRIVATE_HOSTS)", () => {
  test("names, wildcards, addresses, ranges, each with an optional port", () => {
    const allow = AllowList.parse("git.internal, *.corp.example:8443 10.0.0.0/8,[fd00::1]:5000,192.168.1.5:22,fc00::/7");
    expect(allow.match({ host: "git.internal", port: 443 })?.text).toBe("git.internal");
    expect(allow.match({ host: "a.corp.example", port: 8443 })?.text).toBe("*.corp.example:8443");
    expect(allow.match({ host: "a.corp.example", port: 443 })).toBeUndefined();
    expect(allow.match({ host: "corp.example", port: 8443 })).toBeUndefined();
    expect(allow.match({ host: "db", port: 5432, address: parseIp("10.9.8.7")! })?.text).toBe("10.0.0.0/8");
    expect(allow.match({ host: "x", port: 5000, address: parseIp("fd00::1")! })?.text).toBe("[fd00::1]:5000");
    expect(allow.match({ host: "x", port: 80, address: parseIp("fd00::2")! })?.text).toBe("fc00::/7");
    expect(allow.match({ host: "192.168.1.5", port: 22 })?.text).toBe("192.168.1.5:22");
    expect(allow.match({ host: "192.168.1.5", port: 80 })).toBeUndefined();
    expect(allow.match({ host: "x", port: 80, address: parseIp("::ffff:10.0.0.1")! })?.text).toBe("10.0.0.0/8");
    expect(allow.match({ host: "x", port: 80, address: parseIp("172.16.0.1")! })).toBeUndefined();
  });

  test("a bad entry stops LAP at start naming the variable and the entry", () => {
    for (const bad of ["10.0.0.0/99", "exa mple", "host:0", "host:99999", "http://x", "[nope]"])
      expect(() => parseAllowEntry(bad)).toThrow();
    try {
      parseEnv({ LAP_ALLOW_PRIVATE_HOSTS: "git.internal,10.0.0.0/99" });
      throw new Error("accepted");
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).issues.join()).toMatch(/LAP_ALLOW_PRIVATE_HOSTS: 10\.0\.0\.0\/99/);
    }
    expect(parseEnv({ LAP_ALLOW_PRIVATE_HOSTS: " git.internal , 10.0.0.0/8 " }).LAP_ALLOW_PRIVATE_HOSTS).toBe("git.internal , 10.0.0.0/8");
  });
});

describe("checking a destination", () => {
  test("address literals in any spelling and local names are refused without an allow; allowed with one", async () => {
    const guard = new DestinationGuard({ resolve: dns.resolver });
    for (const host of ["127.1", "0x7f000001", "2130706433", "[::ffff:127.0.0.1]", "0.0.0.0", "169.254.169.254", "[fd00::1]", "10.0.0.1"]) {
      expect([host, await refusal(guard.check(host, 80))]).toEqual([host, "non_public"]);
      expect(guard.literalProblem(host)).toMatch(/LAP_ALLOW_PRIVATE_HOSTS/);
    }
    expect(guard.literalProblem("localhost")).toMatch(/names this machine/);
    expect(guard.literalProblem("x.localhost")).toMatch(/names this machine/);
    expect(guard.literalProblem("api.github.com")).toBeNull();
    expect(guard.literalProblem("8.8.8.8")).toBeNull();
    const allowing = new DestinationGuard({ allow: AllowList.parse("10.0.0.0/8,localhost:4000"), resolve: dns.resolver });
    expect(await allowing.check("10.1", 80)).toMatchObject({ address: "10.0.0.1", allowedBy: { text: "10.0.0.0/8" } });
    expect(await refusal(allowing.check("127.1", 80))).toBe("non_public");
    expect(allowing.literalProblem("localhost", 4000)).toBeNull();
    expect(allowing.literalProblem("localhost", 4001)).toMatch(/names this machine/);
  });

  test("every address a name resolves to must be public; the checked one is returned to connect to", async () => {
    const guard = new DestinationGuard({ resolve: dns.resolver });
    dns.set("public.test", ["93.184.216.34"]);
    dns.set("mixed.test", ["93.184.216.34", "10.0.0.5"]);
    dns.set("metadata.test", ["169.254.169.254"]);
    dns.set("v6-loopback.test", ["::1"]);
    expect(await guard.check("public.test", 443)).toMatchObject({ host: "public.test", address: "93.184.216.34", family: 4 });
    expect(await refusal(guard.check("mixed.test", 443))).toBe("non_public");
    expect(await refusal(guard.check("metadata.test", 80))).toBe("non_public");
    expect(await refusal(guard.check("v6-loopback.test", 80))).toBe("non_public");
    expect(await refusal(guard.check("nxdomain.test", 80))).toBe("unresolvable");
    // The system resolver knows localhost without DNS: still refused.
    expect(await refusal(new DestinationGuard().check("localhost", 80))).toBe("non_public");
    // Local names resolve through the system (not the stub), then pass like any other name.
    const loopbackRange = new DestinationGuard({ allow: AllowList.parse("127.0.0.0/8"), resolve: dns.resolver });
    expect(await loopbackRange.check("localhost", 80)).toMatchObject({ address: "127.0.0.1" });
    expect(loopbackRange.literalProblem("localhost")).toBeNull();
  });
});

describe("pinned fetch", () => {
  const hits: Array<{ at: string; host: string | null; auth: string | null; key: string | null; method?: string; body?: string }> = [];
  let allowed: ReturnType<typeof Bun.serve>;
  let other: ReturnType<typeof Bun.serve>;
  let lap: ReturnType<typeof Bun.serve>;
  beforeAll(() => {
    const serve = (hostname: string, at: string, handler?: (req: Request) => Response | undefined) =>
      Bun.serve({
        hostname,
        port: 0,
        async fetch(req) {
          const body = await req.text();
          hits.push({
            at,
            host: req.headers.get("host"),
            auth: req.headers.get("authorization"),
            key: req.headers.get("x-api-key"),
            ...(req.method !== "GET" ? { method: req.method, body } : {}),
          });
          return handler?.(req) ?? new Response(`hello from ${at}`);
        },
      });
    // Stands for "LAP itself / a host service" on 127.0.0.1: must never be reached.
    lap = serve("127.0.0.1", "lap");
    // Stands for an internet API the operator allowed (127.0.0.2 in LAP_ALLOW_PRIVATE_HOSTS).
    allowed = serve("127.0.0.2", "allowed", (req) => {
      const q = new URL(req.url).searchParams;
      const to = q.get("to");
      return to ? new Response(null, { status: Number(q.get("code") ?? 302), headers: { location: to } }) : undefined;
    });
    other = serve("127.0.0.2", "other");
  });
  afterAll(() => {
    for (const s of [allowed, other, lap]) s?.stop(true);
  });

  test("DNS rebinding: the first answer is checked and connected to; the second (loopback) is refused and never reached", async () => {
    const guard = new DestinationGuard({ allow: AllowList.parse("127.0.0.2"), resolve: dns.resolver });
    dns.set("rebind.test", ["127.0.0.2"], ["127.0.0.1"]);
    hits.length = 0;
    const first = await pinnedFetch(`http://rebind.test:${allowed.port}/`, {}, { guard });
    expect(await first.text()).toBe("hello from allowed");
    // Sent to the checked address with the name the user gave (the test machine cannot resolve rebind.test itself).
    expect(hits).toEqual([{ at: "allowed", host: `rebind.test:${allowed.port}`, auth: null, key: null }]);
    expect(await refusal(pinnedFetch(`http://rebind.test:${lap.port}/`, {}, { guard }))).toBe("non_public");
    expect(dns.queries("rebind.test")).toBe(2);
    expect(hits.filter((h) => h.at === "lap")).toEqual([]);
  });

  test("a redirect to a private address is refused; across origins credentials stay behind", async () => {
    const guard = new DestinationGuard({ allow: AllowList.parse("127.0.0.2"), resolve: dns.resolver });
    hits.length = 0;
    const toLap = `http://127.0.0.2:${allowed.port}/?to=${encodeURIComponent(`http://127.0.0.1:${lap.port}/secret`)}`;
    expect(await refusal(pinnedFetch(toLap, {}, { guard, maxRedirects: 3 }))).toBe("non_public");
    // Without following, the 3xx comes back as it is.
    expect((await pinnedFetch(toLap, {}, { guard })).status).toBe(302);
    expect(hits.filter((h) => h.at === "lap")).toEqual([]);
    const toOther = `http://127.0.0.2:${allowed.port}/?to=${encodeURIComponent(`http://127.0.0.2:${other.port}/`)}`;
    const res = await pinnedFetch(
      toOther,
      { headers: { authorization: "Bearer instance-token", "x-api-key": "admin-header" } },
      { guard, maxRedirects: 3 },
    );
    expect(await res.text()).toBe("hello from other");
    expect(hits.at(-2)).toMatchObject({ at: "allowed", auth: "Bearer instance-token", key: "admin-header" });
    expect(hits.at(-1)).toMatchObject({ at: "other", auth: null, key: null });
    // 307 re-sends the request with its body; 303 turns it into a GET.
    const post = { method: "POST", body: '{"jsonrpc":"2.0"}', headers: { "content-type": "application/json" } };
    await pinnedFetch(`${toOther}&code=307`, post, { guard, maxRedirects: 3 });
    expect(hits.at(-1)).toMatchObject({ at: "other", method: "POST", body: '{"jsonrpc":"2.0"}' });
    await pinnedFetch(`${toOther}&code=303`, post, { guard, maxRedirects: 3 });
    expect(hits.at(-1)).toEqual({ at: "other", host: `127.0.0.2:${other.port}`, auth: null, key: null });
  });

  test("only http and https", async () => {
    expect(await refusal(pinnedFetch("file:///etc/passwd", {}, { guard: new DestinationGuard() }))).toBe("non_public");
  });
});
