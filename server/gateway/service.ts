import type { AuditPort } from "../audit/record";
import type { AuthService } from "../auth/service";
import type { Env } from "../config/schema";
import type { Database } from "../db/client";
import { createSecretBox } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import type { Logger } from "../lib/logger";
import type { GatewayMetricsSink } from "../metrics/recorders";
import type { Tracer } from "@opentelemetry/api";
import { loadGatewayConfigFile } from "./config/yaml-config";
import { toDeployment } from "./config/deployments";
import { type ExternalLitellmSettings, mintExternalKey } from "./external-litellm";
import type { KeyInfo } from "./keys/model";
import { VirtualKeyService } from "./keys/service";
import { ModelStore } from "./models/service";
import { GatewayProxy } from "./proxy/handler";
import { BudgetBook } from "./budgets/book";
import { Router } from "./router/router";
import { warnOnce } from "./spend/pricing";
import { refusedKeyRecorder } from "./spend/refused-keys";
import { SpendWriter } from "./spend/writer";
import { DEFAULT_ROUTER_SETTINGS, type Deployment, type RouterSettings } from "./types";

/** The settings the gateway reads (server/config/env/llm-gateway.ts), and the external LiteLLM's. */
export type GatewaySettings = ExternalLitellmSettings &
  Pick<
    Env,
    | "LAP_GATEWAY_CONFIG"
    | "LAP_GATEWAY_SPEND_FLUSH_MS"
    | "LAP_GATEWAY_SPEND_QUEUE_MAX"
    | "LAP_GATEWAY_STORE_PROMPTS"
    | "LITELLM_API_BASE"
    | "LITELLM_API_KEY"
  >;

export interface GatewayDeps {
  settings: GatewaySettings;
  /** Provider keys of stored models at rest (createSecretBox). */
  encryptionKey: Buffer;
  database: Database;
  auth: AuthService;
  logger: Logger;
  /** Where `os.environ/NAME` in config.yaml is read from (the process's environment). */
  osEnviron: Record<string, string | undefined>;
  /** Where calls, tokens, cost and refusals are counted (server/metrics). */
  metrics?: GatewayMetricsSink;
  /** Spans of calls and upstream attempts (server/tracing). */
  tracer?: Tracer;
  /** The audit trail (server/audit): keys and models changed through the admin routes. */
  audit?: AuditPort;
}

export interface SessionKeyRequest {
  sessionId: string;
  agentId?: string;
  models?: string[];
  maxBudget?: number;
  /** LiteLLM duration, e.g. "2h". */
  duration?: string;
  rpmLimit?: number;
  tpmLimit?: number;
  /** Registered MCP servers (by name) the key may use through LAP's /mcp: the agent's own. */
  mcpServers?: string[];
}

/**
 * The gateway's pieces. Models from config.yaml and the database are loaded on first use (so building
 * the app does no I/O); queued spend rows and key spend are written by `flush()`, which the module's
 * timer calls (server/gateway/module.ts).
 */
export class GatewayService {
  readonly router: Router;
  readonly keys: VirtualKeyService;
  readonly spend: SpendWriter;
  readonly models: ModelStore;
  readonly proxy: GatewayProxy;
  /** Team and user budgets (LiteLLM's /team/new and /user/new max_budget). */
  readonly budgets: { teams: BudgetBook; users: BudgetBook };
  private fileDeployments: Deployment[] = [];
  private fileSettings: RouterSettings = DEFAULT_ROUTER_SETTINGS;
  private loaded: Promise<void> | undefined;
  private isLoaded = false;
  private readonly refusedKey: ReturnType<typeof refusedKeyRecorder>;

  constructor(private readonly deps: GatewayDeps) {
    const env = deps.settings;
    this.router = new Router(DEFAULT_ROUTER_SETTINGS);
    this.keys = new VirtualKeyService({ database: deps.database, auth: deps.auth, audit: deps.audit });
    this.spend = new SpendWriter({
      database: deps.database,
      maxQueue: env.LAP_GATEWAY_SPEND_QUEUE_MAX,
      onError: (err) => deps.logger.warn({ err: (err as Error).message }, "gateway spend flush failed; rows stay queued"),
    });
    this.models = new ModelStore({
      database: deps.database,
      box: createSecretBox(deps.encryptionKey),
      litellm: this.litellmEnv(),
      audit: deps.audit,
    });
    this.budgets = {
      teams: new BudgetBook({ database: deps.database, table: "teams", what: "Team" }),
      users: new BudgetBook({ database: deps.database, table: "users", what: "User" }),
    };
    this.proxy = new GatewayProxy({
      router: this.router,
      keys: this.keys,
      spend: this.spend,
      budgets: this.budgets,
      warnUnpriced: warnOnce((msg) => deps.logger.warn(msg)),
      storePrompts: env.LAP_GATEWAY_STORE_PROMPTS === "true",
      metrics: deps.metrics,
      tracer: deps.tracer,
    });
    this.refusedKey = refusedKeyRecorder({ database: deps.database, spend: this.spend });
  }

  /**
   * Whether the router can route `model` (for agents, whose sandboxes call it here); null when the
   * gateway's configuration does not load, so nothing can be said.
   */
  async modelCheck(model: string): Promise<{ known: true } | { known: false; models: string[] } | null> {
    try {
      await this.ready();
    } catch {
      return null;
    }
    if (this.router.resolve(model)) return { known: true };
    return { known: false, models: this.router.modelGroups().filter((m) => !m.includes("*")) };
  }

  /**
   * An LLM route answered with an error before the proxy ran (the auth guard's 401): logged when the
   * key was one LAP issued and is revoked or expired. Never throws.
   */
  recordRefusal(request: Request, error: ApiError, requestId: string | undefined) {
    if (error.status !== 401) return;
    void this.refusedKey(request, error, requestId).catch((err) =>
      this.deps.logger.warn({ err: (err as Error).message }, "could not log a refused gateway call"),
    );
  }

  private litellmEnv() {
    return { litellmApiBase: this.deps.settings.LITELLM_API_BASE, litellmApiKey: this.deps.settings.LITELLM_API_KEY };
  }

  /** Loads config.yaml and stored models once; later calls return at once. A failed load is retried. */
  ready(): Promise<void> | undefined {
    if (this.isLoaded) return undefined;
    this.loaded ??= this.load().then(
      () => {
        this.isLoaded = true;
      },
      (err: Error) => {
        this.loaded = undefined;
        this.deps.logger.error({ err: err.message }, "gateway models could not be loaded");
        throw new ApiError(503, "gateway_config_invalid", `The gateway's models could not be loaded: ${err.message}`);
      },
    );
    return this.loaded;
  }

  private async load() {
    const env = this.deps.settings;
    if (env.LAP_GATEWAY_CONFIG) {
      const file = loadGatewayConfigFile(env.LAP_GATEWAY_CONFIG, this.deps.osEnviron, this.litellmEnv());
      this.fileDeployments = file.deployments;
      this.fileSettings = file.router;
    }
    await this.reload();
  }

  /** Rebuilds the routing table from config.yaml, the database and LITELLM_API_BASE. */
  async reload() {
    const stored = await this.models.all((id, err) =>
      this.deps.logger.warn({ model_id: id, err: err.message }, "stored gateway model skipped"),
    );
    const all = [...this.fileDeployments, ...stored];
    const env = this.deps.settings;
    // With an upstream LiteLLM and nothing else matching, every model name is forwarded to it.
    if (env.LITELLM_API_BASE) {
      all.push(
        toDeployment(
          {
            id: "litellm-upstream",
            model_name: "*",
            litellm_params: { model: "litellm_proxy/*", api_base: env.LITELLM_API_BASE, api_key: env.LITELLM_API_KEY },
          },
          "env",
        ),
      );
    }
    this.router.setDeployments(all, this.fileSettings);
    this.proxy.clearPrices();
  }

  /** Writes queued spend rows and changed key spend. */
  async flush(): Promise<void> {
    await this.spend.flush();
    await this.keys.flush().catch((err) => this.deps.logger.warn({ err: (err as Error).message }, "gateway key spend flush failed"));
    for (const book of [this.budgets.teams, this.budgets.users]) {
      await book.flush().catch((err) => this.deps.logger.warn({ err: (err as Error).message }, "gateway team/user spend flush failed"));
    }
  }

  /**
   * Mints a key bound to one agent session, for a sandbox to call the gateway with: real provider keys
   * never leave LAP. With LLM_PROVIDER=litellm the key is minted on the external LiteLLM instead.
   */
  async mintSessionKey(req: SessionKeyRequest): Promise<{ key: string; expires: string | null; info?: KeyInfo; via: "lap" | "litellm" }> {
    if (this.deps.settings.LLM_PROVIDER === "litellm") {
      return { ...(await mintExternalKey(this.deps.settings, req)), via: "litellm" };
    }
    // The session's team and creator pay for its model calls (their budgets apply: docs/gateway.md).
    const [owner] = await this.deps.database.query<{ team_id: string; owner_user_id: string | null }>(
      "select team_id, owner_user_id from sessions where id = $1",
      [req.sessionId],
    );
    const created = await this.keys.generate(
      {
        key_alias: `session-${req.sessionId}`,
        team_id: owner?.team_id ?? null,
        user_id: owner?.owner_user_id ?? null,
        session_id: req.sessionId,
        agent_id: req.agentId ?? null,
        models: req.models,
        max_budget: req.maxBudget ?? null,
        duration: req.duration ?? "24h",
        rpm_limit: req.rpmLimit ?? null,
        tpm_limit: req.tpmLimit ?? null,
      },
      { mcpServers: req.mcpServers ?? [] },
    );
    const { key, ...info } = created;
    return { key, expires: info.expires, info, via: "lap" };
  }

  /** The session's live key (LAP-minted), or null. */
  async sessionKey(sessionId: string): Promise<KeyInfo | null> {
    const { keys } = await this.keys.list({ page: 1, size: 1, key_alias: `session-${sessionId}` });
    return keys[0] ?? null;
  }

  /**
   * Charges a sub-agent session's spend since the last charge to its parent session's key (docs/memory.md
   * "Who pays"): the parent's max_budget then covers what it delegated. The child's spend rows stay the
   * child's (its own cost in the lists); team and user budgets already see them through the child's key.
   * What was charged is kept on the child's session row (locked while it moves), so a restart or two
   * replicas never charge the same spend twice.
   */
  async chargeParentSession(childSessionId: string, parentSessionId: string): Promise<number> {
    const [child, parent] = await Promise.all([this.sessionKey(childSessionId), this.sessionKey(parentSessionId)]);
    if (!child || !parent) return 0;
    const delta = await this.deps.database.transaction(async (tx) => {
      const [row] = await tx.query<{ charged: number }>("select charged_to_parent as charged from sessions where id = $1 for update", [
        childSessionId,
      ]);
      const d = child.spend - Number(row?.charged ?? 0);
      if (!row || d <= 0) return 0;
      await tx.query("update sessions set charged_to_parent = $2 where id = $1", [childSessionId, child.spend]);
      return d;
    });
    // After the commit (PGlite has one connection): a crash in between under-charges, never charges twice.
    if (delta > 0) await this.keys.charge(parent.token_id, delta);
    return delta;
  }

  /** Revokes every key minted for a session (call when the session ends). */
  async revokeSessionKeys(sessionId: string): Promise<number> {
    const { keys } = await this.keys.list({ page: 1, size: 500, key_alias: `session-${sessionId}` });
    if (keys.length) await this.keys.delete(keys.map((k) => k.token_id));
    return keys.length;
  }
}
