/**
 * The gateway proxy: the sandbox's way to LAP (`127.0.0.1:4000` → LAP's bridge socket, the first of
 * `LAP_BRIDGES`), an HTTP proxy rather than a byte pipe, because it holds the session key. Harnesses
 * are given a placeholder key (random per sandbox); the proxy swaps it for the bound session's key on
 * every request, so the real key never enters a harness or a program the agent runs, and a harness
 * can be started (and its CLI initialized) before any session exists: the warm pool's pre-start
 * (docs/sandboxes.md "Warm pool", docs/security.md "Before bind").
 *
 * Before the bind nothing reaches LAP: a POST to a model route is refused at once (401,
 * `sandbox_unbound`), so a warm harness cannot spend; anything else (MCP, listing models) waits for
 * the bind and then goes out with that session's key. A held request whose client gave up is
 * counted: the supervisor then restarts the harness at bind rather than keep a CLI whose start failed,
 * unless they were all MCP requests and the harness connects its MCP servers at the bind (opencode).
 * A request with any other credential goes through unchanged (LAP checks it, with its backoff).
 *
 * A Kubernetes pod has no bridge: there the supervisor starts one when it is prepared (./supervisor.ts),
 * on a free loopback port, forwarding over HTTP to LAP's origin (K8S_LAP_URL, docs/kubernetes.md).
 */
import { randomBytes } from "node:crypto";
import type { BridgeSpec } from "./bridge";

/** Headers a harness may not send through (hop-by-hop); LAP's bridge drops its own list again. */
const HOP_BY_HOP = ["host", "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"];

const refuse = (status: number, type: string, message: string) =>
  Response.json({ error: { type, message, code: status } }, { status, headers: { "cache-control": "no-store" } });

/** Where the proxy listens, and LAP behind it: a bridge socket (host sandboxes) or an HTTP origin (pods). */
export type GatewayProxySpec = BridgeSpec | { host: string; port: number; origin: string };

export class GatewayProxy {
  /** What the harness is given instead of a key; meaningless outside this sandbox. */
  readonly placeholder = `lap-sandbox-${randomBytes(18).toString("hex")}`;
  private key: string | null = null;
  private waiting = new Set<() => void>();
  /** Held requests whose client went away before the bind (a CLI's start timed out on them). */
  abandoned = 0;
  /** Of those, the MCP requests (`/mcp…`): a harness that connects its MCP servers at the bind does not mind them. */
  abandonedMcp = 0;
  /** Model calls refused before the bind. */
  refusedUnbound = 0;
  private server: ReturnType<typeof Bun.serve> | null = null;

  /**
   * `retryMs`: LAP_GATEWAY_RETRY_SECONDS (an adoptable sandbox's orphan grace): while LAP is restarting
   * its socket refuses connections, and a request waits for it this long (with its body kept) rather
   * than fail, as the byte pipe's refused connection let a harness try again (docs/sessions.md).
   */
  constructor(
    private readonly spec: GatewayProxySpec,
    private readonly retryMs = 0,
  ) {}

  /**
   * The gateway URL a harness is given: on a pod (an HTTP origin behind), this proxy's own address with
   * the path of `gatewayBaseUrl`; behind a bridge, `gatewayBaseUrl` itself (LAP already hands out the bridge's).
   */
  localBase(gatewayBaseUrl: string): string {
    if (!("origin" in this.spec) || !this.server) return gatewayBaseUrl;
    return `http://${this.spec.host}:${this.server.port}${new URL(gatewayBaseUrl).pathname.replace(/\/+$/, "")}`;
  }

  /** Requests waiting for the bind now. */
  get heldNow(): number {
    return this.waiting.size;
  }

  get bound(): boolean {
    return this.key !== null;
  }

  /** From now on the placeholder stands for `key`; held requests go out. Once only. */
  bind(key: string) {
    if (this.key !== null) throw new Error("the gateway proxy is already bound");
    this.key = key;
    for (const release of this.waiting) release();
    this.waiting.clear();
  }

  start(): this {
    this.server = Bun.serve({ hostname: this.spec.host, port: this.spec.port, idleTimeout: 0, fetch: (req) => this.handle(req) });
    return this;
  }

  close() {
    this.server?.stop(true);
  }

  private async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    if (this.key === null) {
      if (req.method === "POST" && !url.pathname.startsWith("/mcp")) {
        this.refusedUnbound++;
        return refuse(401, "sandbox_unbound", "this sandbox is not bound to a session yet: model calls are refused until it is");
      }
      if (!(await this.held(req.signal))) {
        this.abandoned++;
        if (url.pathname.startsWith("/mcp")) this.abandonedMcp++;
        return refuse(503, "sandbox_unbound", "gave up waiting for this sandbox's session");
      }
    }
    const headers = new Headers(req.headers);
    for (const h of HOP_BY_HOP) headers.delete(h);
    const auth = headers.get("authorization");
    if (auth && /^Bearer\s+/i.test(auth) && auth.replace(/^Bearer\s+/i, "").trim() === this.placeholder)
      headers.set("authorization", `Bearer ${this.key}`);
    if (headers.get("x-api-key") === this.placeholder) headers.set("x-api-key", this.key!);
    // Kept to be sent again only when LAP may be restarting; otherwise streamed through.
    const body = this.retryMs > 0 && req.method !== "GET" && req.method !== "HEAD" ? await req.arrayBuffer() : req.body;
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        const over = "origin" in this.spec ? { target: this.spec.origin } : { target: "http://lap", unix: this.spec.socketPath };
        return await fetch(`${over.target}${url.pathname}${url.search}`, {
          method: req.method,
          headers,
          body,
          ...(over.unix ? { unix: over.unix } : {}),
          duplex: "half",
          decompress: false,
          redirect: "manual",
          signal: req.signal,
        } as RequestInit);
      } catch (err) {
        const refused = /ECONNREFUSED|ENOENT|ECONNRESET|FailedToOpenSocket|ConnectionRefused/i.test(
          `${(err as { code?: string }).code ?? ""} ${(err as Error).message}`,
        );
        if (!refused || req.signal.aborted || Date.now() - started > this.retryMs) {
          return refuse(502, "bridge_unreachable", `LAP is not reachable from this sandbox: ${(err as Error).message}`);
        }
        await Bun.sleep(Math.min(250 * 2 ** attempt, 3_000));
      }
    }
  }

  /** Resolves true at the bind, false when the client gives up first. */
  private held(signal: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.key !== null) return resolve(true);
      const release = () => {
        signal.removeEventListener("abort", abort);
        resolve(true);
      };
      const abort = () => {
        this.waiting.delete(release);
        resolve(false);
      };
      this.waiting.add(release);
      signal.addEventListener("abort", abort, { once: true });
    });
  }
}
