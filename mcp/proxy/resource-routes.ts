/**
 * Which upstream owns a resource URI on the aggregated `/mcp` endpoint. URIs stay as the upstream
 * wrote them (rewriting them would break clients that parse them); listings teach this map, and
 * templates route by their literal prefix (the part before the first `{`).
 */
export class ResourceRoutes {
  private readonly exact = new Map<string, string>();
  private readonly prefixes = new Map<string, string>();

  remember(uri: string, serverName: string) {
    this.exact.set(uri, serverName);
  }

  rememberTemplate(uriTemplate: string, serverName: string) {
    const brace = uriTemplate.indexOf("{");
    const prefix = brace >= 0 ? uriTemplate.slice(0, brace) : uriTemplate;
    if (prefix) this.prefixes.set(prefix, serverName);
  }

  serverFor(uri: string): string | undefined {
    const hit = this.exact.get(uri);
    if (hit) return hit;
    let best: [string, string] | undefined;
    for (const [prefix, server] of this.prefixes) {
      if (uri.startsWith(prefix) && (!best || prefix.length > best[0].length)) best = [prefix, server];
    }
    return best?.[1];
  }
}
