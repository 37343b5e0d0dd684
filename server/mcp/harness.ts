/**
 * Hand-off to agent harnesses: an agent's MCP servers become LAP proxy URLs authenticated with the
 * session's own key (its metadata carries `session_id`, so every call is attributed to the session).
 * The harness never sees upstream credentials: LAP adds them on the way out.
 */
export interface HarnessMcpServer {
  type: "http";
  name: string;
  url: string;
  headers: Record<string, string>;
}

export function mcpServersForSession(opts: { baseUrl: string; servers: Array<{ name: string }>; sessionKey: string }): HarnessMcpServer[] {
  const base = opts.baseUrl.replace(/\/$/, "");
  return opts.servers.map((s) => ({
    type: "http",
    name: s.name,
    url: `${base}/mcp/${encodeURIComponent(s.name)}`,
    headers: { Authorization: `Bearer ${opts.sessionKey}` },
  }));
}

/** One entry for harnesses that prefer a single endpoint: every granted server, tools as `server__tool`. */
export function aggregateMcpServer(opts: { baseUrl: string; sessionKey: string; name?: string }): HarnessMcpServer {
  return { type: "http", name: opts.name ?? "lap", url: `${opts.baseUrl.replace(/\/$/, "")}/mcp`, headers: { Authorization: `Bearer ${opts.sessionKey}` } };
}

/**
 * The same hand-off as environment for `SandboxBinding.env`: URLs only. The harness authenticates
 * with the session key it already holds (`gatewayKey`), so no credential travels in these variables.
 */
export function mcpEnvForSession(opts: { baseUrl: string; servers: Array<{ name: string }> }): Record<string, string> {
  const base = opts.baseUrl.replace(/\/$/, "");
  return {
    LAP_MCP_URL: `${base}/mcp`,
    LAP_MCP_SERVERS: JSON.stringify(opts.servers.map((s) => ({ name: s.name, url: `${base}/mcp/${encodeURIComponent(s.name)}` }))),
  };
}
