/**
 * How a name an agent lists resolves (docs/security.md "Users, teams and roles"): its own team's
 * object of that name, else the org-wide one (team null). Rows of other teams must not be passed in;
 * they are ignored all the same. Used for vault secrets and MCP servers.
 */
export function resolveNames<R extends { name: string; teamId: string | null }>(
  names: string[],
  rows: R[],
  teamId: string | null,
): { found: R[]; missing: string[] } {
  const found: R[] = [];
  const missing: string[] = [];
  for (const name of [...new Set(names)]) {
    const own = teamId ? rows.find((r) => r.name === name && r.teamId === teamId) : undefined;
    const hit = own ?? rows.find((r) => r.name === name && r.teamId === null);
    if (hit) found.push(hit);
    else missing.push(name);
  }
  return { found, missing };
}
