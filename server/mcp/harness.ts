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
