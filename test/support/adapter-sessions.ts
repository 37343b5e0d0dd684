/**
 * For a CLI harness adapter's own tests against the scripted model (standing for the LLM provider):
 * one scripted model per file, sessions each with a fresh workspace and home, everything stopped and
 * removed after the file; and the event helpers those tests read turns with.
 */
import { afterAll, beforeAll } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { contentText, type HarnessAdapter, type HarnessConfig, type HarnessEvent } from "../../harness/adapters/types.ts";
import { KEY, MODEL } from "./harness-contract.ts";
import { type ScriptedModel, startScriptedModel } from "./scripted-model/index.ts";

export function adapterSessions<A extends Pick<HarnessAdapter, "stop">>(label: string, make: (config: HarnessConfig) => A) {
  let model: ScriptedModel | undefined;
  let root = "";
  const adapters: A[] = [];
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), `lap-${label}-`));
    model = startScriptedModel({ models: [MODEL], apiKey: KEY });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(adapters.map((a) => a.stop().catch(() => undefined)));
    await model?.stop();
    rmSync(root, { recursive: true, force: true });
  }, 60_000);
  return {
    model: () => model!,
    /** A new adapter on its own workspace and home, for an agent with these approval-required tools. */
    session(approvalRequiredTools: string[]) {
      const dir = mkdtempSync(join(root, "session-"));
      const workspace = join(dir, "workspace");
      const home = join(dir, "home");
      mkdirSync(workspace);
      mkdirSync(home);
      const adapter = make({ workspace, home, gatewayUrl: model!.url, apiKey: KEY, model: MODEL, approvalRequiredTools });
      adapters.push(adapter);
      return { adapter, workspace };
    },
  };
}

export const toolUses = (events: HarnessEvent[]) => events.flatMap((e) => (e.type === "agent.tool_use" ? [e] : []));
export const toolResults = (events: HarnessEvent[]) => events.flatMap((e) => (e.type === "agent.tool_result" ? [e] : []));
export const replyText = (events: HarnessEvent[]) =>
  events.flatMap((e) => (e.type === "agent.message" ? [contentText(e.content)] : [])).join("");
