import type { APIRequestContext } from "@playwright/test";
import { startFakeRuntime } from "./own-lap";
import { MASTER_KEY } from "./support";

const headers = { authorization: `Bearer ${MASTER_KEY}` };

/**
 * The remote runtime for schedule and trigger pages: the fake Managed Agents server (a local
 * stand-in, see its header) in its own process, with an agent on it created through the API.
 */
export async function remoteAgent(request: APIRequestContext, name: string): Promise<{ agentId: string; stop(): void }> {
  const { url, process: fake } = await startFakeRuntime();
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
