/**
 * The egress proxy one sandbox talks to (HTTP_PROXY/HTTPS_PROXY inside point at it through the
 * supervisor's bridge). Denied by default: only hosts on the agent's allow-list are reached.
 * - `CONNECT host:port` (HTTPS): allow-list check. To a host a vault secret is bound to, the tunnel
 *   ends in LAP's TLS server for that host (LAP's egress CA, trusted inside the sandbox), requests
 *   are swapped like plain HTTP and re-sent upstream over real TLS; to any other allowed host, a
 *   blind TCP tunnel (nothing to swap, nothing decrypted).
 * - Absolute-URL HTTP requests: allow-list check; vault stubs in headers and text bodies are
 *   replaced by real values only when the destination host is bound to that secret. Every swap and
 *   every refused stub is recorded (never the value).
 * Every connection, and every request re-sent from a terminated tunnel, is also checked after DNS
 * resolution (../../net/destinations.ts): only public addresses unless the operator allows one
 * (LAP_ALLOW_PRIVATE_HOSTS), only ports 80 and 443 unless a pattern or the operator names the port,
 * and the connection goes to the checked address (docs/security.md, "User-supplied URLs and hosts").
 */
import net from "node:net";
import { type CheckedDestination, DestinationRefused, type DestinationGuard } from "../../net/destinations";
import { pinnedFetch } from "../../net/pinned-fetch";
import { mayCreatePullRequest, type PullRequestSeen, pullRequestIn, swapBasic } from "./github";
import type { MitmServers } from "./mitm";
import { type EgressPolicy, hostAllowed, hostMatches, portNamed, STANDARD_PORTS } from "./policy";

export interface EgressRecord {
  at: string;
  sandboxId: string;
  method: string;
  host: string;
  outcome: "allowed" | "denied";
  /** Secret names swapped into this request. */
  swapped: string[];
  /** Secret names whose stubs were sent to a host they are not bound to (left as stubs). */
  refused: string[];
}

/** What one connection is checked against and recorded under: one sandbox's policy. */
export interface EgressProxyOptions {
  sandboxId: string;
  policy: () => EgressPolicy;
  /** Resolves and checks every destination (public addresses only unless the operator allows). */
  destinations: DestinationGuard;
  record(r: EgressRecord): void;
  /** A pull request GitHub answered it created, through a terminated tunnel (./github.ts). */
  pullRequest?(pr: PullRequestSeen): void;
  /** TLS termination for hosts with bound secrets; without it HTTPS is always a blind tunnel. */
  mitm?: MitmServers;
  /** Trust for upstream TLS (tests: the test server's CA). */
  upstreamTls?: { ca?: string | string[]; rejectUnauthorized?: boolean };
}

/**
 * A proxy shared by many sandboxes (the Kubernetes pods' one): each request or CONNECT names its
 * sandbox in `Proxy-Authorization`; null (missing or wrong credentials) answers 407 and records nothing.
 * It may be asynchronous (the credentials looked up first).
 */
export interface SharedEgressProxyOptions {
  authenticate(proxyAuthorization: string | undefined): EgressProxyOptions | null | Promise<EgressProxyOptions | null>;
}

const HOP = ["proxy-connection", "proxy-authorization", "connection", "keep-alive", "host", "transfer-encoding", "content-length"];
const TEXT_BODY = /json|xml|x-www-form-urlencoded|text\/|graphql|ndjson/;

const MAX_HEAD = 64 * 1024;
const MAX_BODY = 10 * 1024 * 1024;

const STATUS_TEXT: Record<number, string> = { 403: "Forbidden", 407: "Proxy Authentication Required", 502: "Bad Gateway" };

/** `host:port` or `[v6]:port` of a CONNECT; the host as a URL parser normalises it (`127.1` is 127.0.0.1). */
function connectTarget(target: string): { host: string; port: number } | null {
  const m = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(target);
  if (!m) return null;
  try {
    return { host: new URL(`http://${m[1]}`).hostname.replace(/^\[(.*)\]$/, "$1"), port: Number(m[2]) };
  } catch {
    return null;
  }
}

type Admission = { ok: true; dest: CheckedDestination } | { ok: false; status: number; message: string };

/**
 * Whether this sandbox may reach host:port now: on its allow-list, every address it resolves to
 * public (or allowed by the operator), and a standard port unless a pattern or the operator names it.
 */
async function admit(opts: EgressProxyOptions, policy: EgressPolicy, host: string, port: number): Promise<Admission> {
  if (!hostAllowed(policy, host, port))
    return {
      ok: false,
      status: 403,
      message: `LAP egress: ${host}${STANDARD_PORTS.has(port) ? "" : `:${port}`} is not on this agent's allow-list`,
    };
  let dest: CheckedDestination;
  try {
    dest = await opts.destinations.check(host, port);
  } catch (err) {
    if (!(err instanceof DestinationRefused)) throw err;
    return { ok: false, status: err.reason === "unresolvable" ? 502 : 403, message: `LAP egress: ${err.message}` };
  }
  if (!STANDARD_PORTS.has(port) && !portNamed(policy, host, port) && !dest.allowedBy) {
    return {
      ok: false,
      status: 403,
      message: `LAP egress: port ${port} is not allowed for ${host}: only 80 and 443 unless the allow-list names the port (${host}:${port})`,
    };
  }
  return { ok: true, dest };
}

function reply(socket: net.Socket, status: number, text: string) {
  const body = `${text}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Bad Request"}\r\n${status === 407 ? 'proxy-authenticate: Basic realm="LAP egress"\r\n' : ""}content-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

function swapStubs(text: string, policy: EgressPolicy, host: string, port: number, swapped: Set<string>, refused: Set<string>): string {
  let out = text;
  for (const rule of policy.stubs) {
    if (!out.includes(rule.stub)) continue;
    if (rule.hosts.some((h) => hostMatches(host, h, port))) {
      out = out.split(rule.stub).join(rule.real);
      swapped.add(rule.name);
    } else refused.add(rule.name);
  }
  return out;
}

export function createEgressProxy(options: EgressProxyOptions | SharedEgressProxyOptions): net.Server {
  return net.createServer((socket) => {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) {
        if (head.length > MAX_HEAD) reply(socket, 400, "request head too large");
        return;
      }
      socket.off("data", onData);
      socket.pause();
      void route(socket, head.subarray(0, end).toString("latin1"), head.subarray(end + 4)).catch((err) =>
        reply(socket, 502, `egress proxy error: ${(err as Error).message}`),
      );
    };
    socket.on("data", onData);
    socket.on("error", () => socket.destroy());
  });

  /** Picks the sandbox this connection speaks for (fixed, or by its proxy credentials), then handles it. */
  async function route(socket: net.Socket, headText: string, rest: Buffer) {
    if (!("authenticate" in options)) return handle(options, socket, headText, rest);
    const auth = /^proxy-authorization:\s*(.*)$/im.exec(headText)?.[1]?.trim();
    const opts = await options.authenticate(auth);
    if (!opts) return reply(socket, 407, "LAP egress: proxy credentials missing or wrong");
    return handle(opts, socket, headText, rest);
  }

  /** One request from inside a terminated tunnel: swap, record, re-send over real TLS. */
  async function forwardHttps(opts: EgressProxyOptions, req: Request, origin: string, host: string, port: number): Promise<Response> {
    const policy = opts.policy();
    const url = new URL(req.url);
    const swapped = new Set<string>();
    const refused = new Set<string>();
    const headers = new Headers();
    req.headers.forEach((v, k) => {
      // git and gh send tokens as Basic credentials: a stub inside them is swapped too.
      if (!HOP.includes(k))
        headers.append(
          k,
          swapBasic(v, (text) => swapStubs(text, policy, host, port, swapped, refused)),
        );
    });
    let body: string | Uint8Array | undefined;
    if (req.method !== "GET" && req.method !== "HEAD") {
      const raw = new Uint8Array(await req.arrayBuffer());
      body =
        TEXT_BODY.test(headers.get("content-type") ?? "") && !headers.get("content-encoding")
          ? swapStubs(new TextDecoder().decode(raw), policy, host, port, swapped, refused)
          : raw;
    }
    let checked: CheckedDestination;
    try {
      // Checked again for every request: the name may resolve elsewhere than when the tunnel opened.
      checked = await opts.destinations.check(host, port);
    } catch (err) {
      if (!(err instanceof DestinationRefused)) throw err;
      opts.record({
        at: new Date().toISOString(),
        sandboxId: opts.sandboxId,
        method: req.method,
        host,
        outcome: "denied",
        swapped: [],
        refused: [],
      });
      return new Response(`LAP egress: ${err.message}\n`, { status: 403 });
    }
    opts.record({
      at: new Date().toISOString(),
      sandboxId: opts.sandboxId,
      method: req.method,
      host,
      outcome: "allowed",
      swapped: [...swapped],
      refused: [...refused],
    });
    const res = await pinnedFetch(
      `${origin}${url.pathname}${url.search}`,
      { method: req.method, headers, body: body as BodyInit | undefined },
      { guard: opts.destinations, tls: opts.upstreamTls, checked },
    );
    const out = new Headers(res.headers);
    for (const h of ["content-encoding", "content-length", "transfer-encoding", "connection"]) out.delete(h);
    let answer = res.body;
    if (answer && opts.pullRequest && res.ok && mayCreatePullRequest(req.method, url.pathname, body)) {
      const [forSandbox, forLap] = answer.tee();
      answer = forSandbox;
      void pullRequestIn(forLap, res.status, host, url.pathname).then(
        (pr) => pr && opts.pullRequest?.(pr),
        () => {},
      );
    }
    return new Response(answer, { status: res.status, headers: out });
  }

  async function handle(opts: EgressProxyOptions, socket: net.Socket, headText: string, rest: Buffer) {
    const [requestLine, ...headerLines] = headText.split("\r\n");
    const [method = "", target = ""] = (requestLine ?? "").split(" ");
    const policy = opts.policy();
    const at = new Date().toISOString();
    if (method === "CONNECT") {
      const parsed = connectTarget(target);
      if (!parsed) return reply(socket, 400, "LAP egress: CONNECT needs host:port");
      const { host, port } = parsed;
      const admission = await admit(opts, policy, host, port);
      opts.record({ at, sandboxId: opts.sandboxId, method, host, outcome: admission.ok ? "allowed" : "denied", swapped: [], refused: [] });
      if (!admission.ok) return reply(socket, admission.status, admission.message);
      if (opts.mitm && policy.stubs.some((r) => r.hosts.some((h) => hostMatches(host, h, port)))) {
        const local = await opts.mitm.socketFor(host, port, (req, origin) => forwardHttps(opts, req, origin, host, port));
        const inner = net.connect(local, () => {
          socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
          if (rest.length) inner.write(rest);
          socket.pipe(inner);
          inner.pipe(socket);
          socket.resume();
        });
        inner.on("error", () => socket.destroy());
        socket.on("close", () => inner.destroy());
        return;
      }
      // To the address that was checked, never the name again (DNS rebinding).
      const upstream = net.connect(port, admission.dest.address, () => {
        socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        if (rest.length) upstream.write(rest);
        socket.pipe(upstream);
        upstream.pipe(socket);
        socket.resume();
      });
      upstream.on("error", () => reply(socket, 502, `LAP egress: cannot reach ${host}:${port}`));
      return;
    }
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      return reply(socket, 400, "LAP egress: send absolute-URL requests (HTTP proxy form) or CONNECT");
    }
    if (url.protocol !== "http:") return reply(socket, 400, "LAP egress: use CONNECT for https");
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    const port = Number(url.port) || 80;
    const admission = await admit(opts, policy, host, port);
    if (!admission.ok) {
      opts.record({ at, sandboxId: opts.sandboxId, method, host, outcome: "denied", swapped: [], refused: [] });
      return reply(socket, admission.status, admission.message);
    }
    const swapped = new Set<string>();
    const refused = new Set<string>();
    const headers = new Headers();
    let length = 0;
    for (const line of headerLines) {
      const i = line.indexOf(":");
      if (i <= 0) continue;
      const name = line.slice(0, i).trim().toLowerCase();
      const value = line.slice(i + 1).trim();
      if (["proxy-connection", "proxy-authorization", "connection", "keep-alive", "host", "transfer-encoding"].includes(name)) continue;
      if (name === "content-length") length = Number(value) || 0;
      else
        headers.append(
          name,
          swapBasic(value, (text) => swapStubs(text, policy, host, port, swapped, refused)),
        );
    }
    if (length > MAX_BODY) return reply(socket, 400, "LAP egress: body too large");
    let body = rest;
    if (body.length < length) {
      socket.resume();
      body = await new Promise<Buffer>((resolve) => {
        const parts = [rest];
        let got = rest.length;
        const onData = (c: Buffer) => {
          parts.push(c);
          got += c.length;
          if (got >= length) {
            socket.off("data", onData);
            resolve(Buffer.concat(parts).subarray(0, length));
          }
        };
        socket.on("data", onData);
      });
    }
    let payload: Buffer | string | undefined = length ? body.subarray(0, length) : undefined;
    const type = headers.get("content-type") ?? "";
    if (payload && /json|xml|x-www-form-urlencoded|text\/|graphql|ndjson/.test(type) && !headers.get("content-encoding")) {
      payload = swapStubs(payload.toString("utf8"), policy, host, port, swapped, refused);
    }
    opts.record({ at, sandboxId: opts.sandboxId, method, host, outcome: "allowed", swapped: [...swapped], refused: [...refused] });
    const res = await pinnedFetch(
      url,
      { method, headers, body: payload === undefined ? undefined : typeof payload === "string" ? payload : new Uint8Array(payload) },
      { guard: opts.destinations, checked: admission.dest },
    );
    const out = Buffer.from(await res.arrayBuffer());
    let responseHead = `HTTP/1.1 ${res.status} ${res.statusText || "OK"}\r\n`;
    res.headers.forEach((v, k) => {
      if (!["content-length", "transfer-encoding", "connection", "content-encoding"].includes(k)) responseHead += `${k}: ${v}\r\n`;
    });
    responseHead += `content-length: ${out.length}\r\nconnection: close\r\n\r\n`;
    socket.end(Buffer.concat([Buffer.from(responseHead, "latin1"), out]));
  }
}
