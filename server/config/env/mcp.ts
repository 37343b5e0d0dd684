/** The MCP gateway's timeouts and how stdio servers run. */
import { z } from "zod";
import { describedIn, intFromEnv } from "./fields";

const { plain } = describedIn("MCP");

export const mcpEnv = {
  LAP_MCP_TIMEOUT_MS: intFromEnv(60_000, 100).meta(
    plain("Default time an upstream MCP request may take before the caller gets a timeout error (per-server timeout_ms overrides)."),
  ),
  LAP_MCP_CONNECT_TIMEOUT_MS: intFromEnv(15_000, 100).meta(plain("Time allowed to start or connect to an upstream MCP server.")),
  LAP_MCP_STDIO_LAUNCHER: z
    .enum(["bubblewrap", "process"])
    .default("bubblewrap")
    .meta(
      plain(
        "How stdio MCP servers run: `bubblewrap` (sandboxed, default) or `process` (directly on the host, development only; logs a warning).",
      ),
    ),
  LAP_MCP_SESSION_IDLE_MINUTES: intFromEnv(30, 1).meta(plain("Downstream MCP sessions idle this long are closed.")),
};
