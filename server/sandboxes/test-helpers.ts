/** Shared setup for the sandbox tests: a provider on a temp data dir wired to a scripted model. */
import { mkdtempSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createLogger } from "../lib/logger";
import type { HostProviderOptions } from "./host/host-provider";
import { createCgroup } from "./host/limits";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

export function providerOptions(upstreamPort: () => number, extra: Partial<HostProviderOptions> = {}): HostProviderOptions {
  return {
    dataDir: mkdtempSync(join(tmpdir(), "lap-sbx-")),
    lapUpstream: () => ({ host: "127.0.0.1", port: upstreamPort() }),
    bunPath: realpathSync(process.execPath),
    harnessRoot: join(REPO_ROOT, "harness"),
    nodeModules: join(REPO_ROOT, "node_modules"),
    logger: createLogger("silent"),
    ...extra,
  };
}

export const binding = (sessionId: string, gatewayUrl: string, model = "scripted-model") => ({
  sessionId,
  agentId: "agent_test",
  gatewayKey: `sk-session-${sessionId}`,
  gatewayBaseUrl: gatewayUrl,
  model,
});

/** Text of every tool_result in a turn, joined. */
export const toolOutputs = (events: Array<{ type: string; [k: string]: unknown }>) =>
  events
    .filter((e) => e.type === "agent.tool_result")
    .map((e) => (e.content as Array<{ text: string }>).map((p) => p.text).join(""))
    .join("\n---\n");

/**
 * Why a cgroup limit cannot be tested on this machine (null when it can): LAP's own code tries to
 * create a cgroup with that controller, as it would for a sandbox, and removes it again.
 */
export function cgroupMissing(controller: "memory" | "pids"): string | null {
  const probe = createCgroup(`probe_${process.pid}_${controller}`, controller === "memory" ? { memoryMb: 64 } : { maxProcesses: 64 });
  const applied = probe?.applied ?? [];
  probe?.remove();
  return applied.includes(controller)
    ? null
    : `no ${controller} cgroup LAP may create on this machine (cgroup v2, or v1 with a writable ${controller} controller)`;
}
