/**
 * A real LAP listening on loopback (port 0) with the gateway pointed at fake providers through a
 * LiteLLM-style config.yaml, so the official SDKs can be used as clients exactly as users would.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestApp, TEST_MASTER_KEY, type TestApp } from "./app";
import { startFakeAnthropic, type FakeAnthropic } from "./fake-anthropic";
import { startFakeOpenAI, type FakeOpenAI } from "./fake-openai";

export const FAKE_OPENAI_KEY = "sk-fake-openai-provider-key";
export const FAKE_ANTHROPIC_KEY = "sk-ant-fake-provider-key";

export interface GatewayTestEnv {
  t: TestApp;
  baseUrl: string;
  openai: FakeOpenAI;
  /** A second OpenAI-compatible provider, for retry/fallback/cooldown scripts. */
  openai2: FakeOpenAI;
  anthropic: FakeAnthropic;
  masterKey: string;
  close(): Promise<void>;
}

export function defaultConfigYaml(f: { openai: FakeOpenAI; openai2: FakeOpenAI; anthropic: FakeAnthropic }) {
  return `
model_list:
  - model_name: gpt-fake
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${f.openai.url}, api_key: os.environ/FAKE_OPENAI_KEY }
  - model_name: claude-fake
    litellm_params: { model: anthropic/claude-haiku-4-5, api_base: ${f.anthropic.url}, api_key: os.environ/FAKE_ANTHROPIC_KEY }
  - model_name: "openai/*"
    litellm_params: { model: "openai/*", api_base: ${f.openai.url}, api_key: os.environ/FAKE_OPENAI_KEY }
  - model_name: embed-fake
    litellm_params: { model: openai/text-embedding-3-small, api_base: ${f.openai.url}, api_key: os.environ/FAKE_OPENAI_KEY }
  - model_name: pair
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${f.openai2.url}, api_key: os.environ/FAKE_OPENAI_KEY }
    model_info: { id: pair-a }
  - model_name: pair
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${f.openai.url}, api_key: os.environ/FAKE_OPENAI_KEY }
    model_info: { id: pair-b }
  - model_name: lonely
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${f.openai2.url}, api_key: os.environ/FAKE_OPENAI_KEY, timeout: 0.3 }
    model_info: { id: lonely-1 }
  - model_name: priced
    litellm_params: { model: openai/custom-model, api_base: ${f.openai.url}, api_key: os.environ/FAKE_OPENAI_KEY }
    model_info: { input_cost_per_token: 0.001, output_cost_per_token: 0.002 }
router_settings:
  routing_strategy: simple-shuffle
  num_retries: 2
  allowed_fails: 2
  cooldown_time: 30
  fallbacks: [{ lonely: [gpt-fake] }]
`;
}

export async function startGatewayTestEnv(
  opts: { yaml?: (f: { openai: FakeOpenAI; openai2: FakeOpenAI; anthropic: FakeAnthropic }) => string; env?: Record<string, string> } = {},
): Promise<GatewayTestEnv> {
  const openai = startFakeOpenAI({ apiKey: FAKE_OPENAI_KEY });
  const openai2 = startFakeOpenAI({ apiKey: FAKE_OPENAI_KEY });
  const anthropic = startFakeAnthropic({ apiKey: FAKE_ANTHROPIC_KEY });
  const dir = mkdtempSync(join(tmpdir(), "lap-gw-"));
  const configPath = join(dir, "config.yaml");
  writeFileSync(configPath, (opts.yaml ?? defaultConfigYaml)({ openai, openai2, anthropic }));
  const t = await createTestApp({ LAP_GATEWAY_CONFIG: configPath, FAKE_OPENAI_KEY, FAKE_ANTHROPIC_KEY, ...opts.env });
  const server = t.app.listen({ port: 0, hostname: "127.0.0.1" });
  const port = server.server!.port;
  return {
    t,
    openai,
    openai2,
    anthropic,
    masterKey: TEST_MASTER_KEY,
    baseUrl: `http://127.0.0.1:${port}`,
    async close() {
      // Never started (no flush timer here): what is still queued is written before the app closes.
      await t.services.gateway.flush().catch(() => {});
      await server.stop(true);
      openai.stop();
      openai2.stop();
      anthropic.stop();
      await t.close();
    },
  };
}
