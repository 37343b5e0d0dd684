/** The HTTP server: where it listens, its data directory, body limits, retention, and which private destinations users may name. */
import { z } from "zod";
import { parseAllowList } from "../../net/allow-list";
import { describedIn, intFromEnv, optionalString, urlString } from "./fields";

const { plain } = describedIn("Server");

export const serverEnv = {
  LAP_ENV: z
    .enum(["development", "production", "test"])
    .default("development")
    .meta(plain("`production` requires MASTER_KEY and ENCRYPTION_KEY; `development` generates them into LAP_DATA_DIR.")),
  PORT: z.coerce
    .number({ message: "must be a port number" })
    .int()
    .min(0)
    .max(65535)
    .default(3000)
    .meta(plain("HTTP port (0 picks a free one).")),
  HOST: z.string().default("127.0.0.1").meta(plain("Interface to bind. Use 0.0.0.0 to accept connections from other machines.")),
  BASE_URL: optionalString
    .pipe(urlString.optional())
    .meta(plain("Public URL of this LAP (OAuth redirects, webhook and Slack URLs). Defaults to http://localhost:PORT.")),
  LAP_DATA_DIR: z.string().default("./.lap").meta(plain("Where embedded data lives: the PGlite database, generated keys, workspaces.")),
  LAP_WORKSPACE_RETENTION_DAYS: intFromEnv(30).meta(
    plain(
      "Days a session's workspace stays on disk after the session stopped or was deleted (local and process sandboxes: the workspace itself; kubernetes: the copy LAP kept), for downloading its files (docs/files.md); removed hourly after. 0 keeps workspaces forever.",
    ),
  ),
  LAP_WORKSPACE_ARCHIVE_MAX_BYTES: intFromEnv(256 * 1024 * 1024).meta(
    plain(
      "Kubernetes: the most bytes of a pod's workspace LAP copies to LAP_DATA_DIR/workspaces before the pod is deleted, so its files stay downloadable (docs/files.md); a larger workspace is not kept. 0 keeps none.",
    ),
  ),
  LAP_AGENT_FILE_MAX_BYTES: intFromEnv(5 * 1024 * 1024, 1).meta(
    plain("Largest agent file (docs/files.md); a larger upload gets 413. Uploads are also bounded by LAP_MAX_BODY_BYTES."),
  ),
  LAP_AGENT_FILES_MAX_COUNT: intFromEnv(100, 1).meta(plain("Most files one agent may hold (docs/files.md); more gets 409.")),
  LAP_AGENT_FILES_MAX_TOTAL_BYTES: intFromEnv(20 * 1024 * 1024, 1).meta(
    plain("Most bytes one agent's files may total (docs/files.md); more gets 413. They are copied into every new session's workspace."),
  ),
  LAP_AUDIT_RETENTION_DAYS: intFromEnv(365).meta(
    plain(
      'Days of audit trail rows (who changed what; docs/operations.md "Audit trail") kept in the database; older rows are pruned hourly. 0 keeps them forever.',
    ),
  ),
  LOG_LEVEL: z
    .enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"])
    .default("info")
    .meta(plain("Minimum level of the JSON logs on stdout.")),
  LAP_MAX_BODY_BYTES: intFromEnv(10 * 1024 * 1024, 1024).meta(plain("Largest request body accepted; larger bodies get 413.")),
  LAP_MAX_JSON_DEPTH: intFromEnv(128, 8).meta(
    plain("Deepest nesting of arrays and objects a JSON body may have; deeper bodies get 400 before they are parsed."),
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
      ),
    ),
};
