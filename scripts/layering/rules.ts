/**
 * LAP's layers (docs/development.md "Layers"), as rules over the import graph (import-graph.ts). A file
 * belongs to the layer of the longest path prefix that names it, and imports only files of its own layer
 * or below; `harness/` (the code inside sandboxes) imports only itself; nothing but tests imports test
 * helpers; the feature arrows in FORBIDDEN stay absent; no file is part of an import circle. There is
 * no allow-list: a new exception is a change to these rules, reviewed like one. Which module owns
 * each table is checked beside this (table-owners.ts).
 */
import { circles, type Edge } from "./import-graph";

export interface Layer {
  name: string;
  /** Folders (ending in `/`) or files. */
  paths: string[];
}

/** Lowest first. */
export const LAYERS: Layer[] = [
  // Tables and their JSON shapes, helpers, the database, outbound network checks, configuration.
  { name: "base", paths: ["schema/", "server/lib/", "server/db/", "server/net/", "server/config/"] },
  // What every route stands on: HTTP plumbing, who is calling, the audit trail, metrics, traces.
  { name: "platform", paths: ["server/http/", "server/auth/", "server/audit/", "server/metrics/", "server/tracing/"] },
  // Everything a person uses LAP for, each module behind its routes and ports.
  { name: "features", paths: ["server/", "mcp/", "slack/"] },
  // The composition root and the command line: they build and start the rest.
  { name: "root", paths: ["server/app.ts", "server/app/", "server/main.ts", "bin/"] },
];

/** The sandboxes' own code: it runs without LAP's server beside it. */
export const SELF_CONTAINED = ["harness/"];
/** Helpers only tests import (and `bin/fixtures/`, the programs the CLI's tests run). */
export const TEST_ONLY = ["test/", "e2e/", "bench/"];

/** Arrows between features that point the wrong way: the lower module takes a port instead. The root is exempt. */
export const FORBIDDEN: Array<{ from: string; to: string; why: string }> = [
  { from: "server/runtimes/", to: "server/sessions/", why: "sessions drive runtimes; shared event shapes are in schema/session-events.ts" },
  { from: "server/sandboxes/", to: "server/sessions/", why: "sessions drive sandboxes, which get a port from server/app.ts" },
  { from: "server/agents/", to: "server/vault/", why: "agents name vault secrets; host patterns are in server/net/host-patterns.ts" },
  { from: "server/", to: "mcp/", why: "the MCP gateway builds on server/; server/app.ts hands its ports out (mcp/README.md)" },
  { from: "server/", to: "slack/", why: "the Slack bot builds on server/; what it shares with Linear is in server/sessions/port.ts" },
];

/** The folders the check reads. */
export const CHECKED = ["schema", "server", "mcp", "slack", "harness", "bin"];

const under = (file: string, path: string) => (path.endsWith("/") ? file.startsWith(path) : file === path);

export function layerOf(file: string, layers = LAYERS): { rank: number; layer: Layer } | undefined {
  let best: { rank: number; layer: Layer; length: number } | undefined;
  layers.forEach((layer, rank) => {
    for (const p of layer.paths) if (under(file, p) && p.length > (best?.length ?? -1)) best = { rank, layer, length: p.length };
  });
  return best && { rank: best.rank, layer: best.layer };
}

/** The rule one import breaks, or null. */
function broken(from: string, to: string, layers: Layer[]): string | null {
  if (TEST_ONLY.some((p) => under(to, p)) && !TEST_ONLY.some((p) => under(from, p)) && !from.startsWith("bin/fixtures/"))
    return "only tests import test helpers";
  if (SELF_CONTAINED.some((p) => under(from, p)) && !SELF_CONTAINED.some((p) => under(to, p)))
    return "harness/ imports only harness/ (it runs inside sandboxes)";
  const importer = layerOf(from, layers);
  const imported = layerOf(to, layers);
  if (importer?.layer.name === "root") return null;
  const rule = FORBIDDEN.find((f) => under(from, f.from) && under(to, f.to));
  if (rule) return `${rule.from} imports nothing from ${rule.to} (${rule.why})`;
  if (importer && imported && imported.rank > importer.rank)
    return `the ${importer.layer.name} layer imports nothing from ${imported.layer.name}`;
  return null;
}

/** Each broken rule as one line naming the import and the rule. */
export function violations(edges: Edge[], layers = LAYERS): string[] {
  const found: string[] = [];
  for (const { from, to } of edges) {
    const rule = broken(from, to, layers);
    if (rule) found.push(`${from} -> ${to}: ${rule}`);
  }
  for (const group of circles(edges)) found.push(`import circle: ${group.join(" <-> ")}`);
  return found;
}
