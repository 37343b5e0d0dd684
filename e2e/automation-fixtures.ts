import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { APIRequestContext } from "@playwright/test";
import { MASTER_KEY } from "./support";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const headers = { authorization: `Bearer ${MASTER_KEY}` };

/**
 * The remote runtime for schedule and trigger pages: the fake Managed Agents server (a local
 * stand-in, see its header) in its own process, with an agent on it created through the API.
 */
export async function remoteAgent(request: APIRequestContext, name: string): Promise<{ agentId: string; stop(): void }> {
  const fake: ChildProcess = spawn(join(ROOT, ".tools/node_modules/.bin/bun"), ["test/support/fake-managed-agents-server.ts"], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    fake.stdout!.on("data", (d: Buffer) => {
      const m = /FAKE_RUNTIME_URL=(\S+)/.exec(d.toString());
      if (m) resolve(m[1]!);
    });
    fake.on("exit", () => reject(new Error("fake runtime exited")));
  });
  const rt = await request.post("/api/runtimes", {
    headers,
    data: { alias: `${name}-runtime`, base_url: url, api_key: "fake-runtime-key" },
  });
  const agent = await request.post("/api/agents", {
    headers,
    data: { name, model: "claude-sonnet-4-5", runtime_id: (await rt.json()).id },
  });
  if (agent.status() !== 201) throw new Error(`agent: ${agent.status()} ${await agent.text()}`);
  return { agentId: (await agent.json()).id, stop: () => void fake.kill() };
}
