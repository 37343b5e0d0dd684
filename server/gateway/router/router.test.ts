import { describe, expect, test } from "bun:test";
import { toDeployment } from "../config/deployments";
import { parseGatewayConfig } from "../config/yaml-config";
import { DEFAULT_ROUTER_SETTINGS } from "../types";
import { Router } from "./router";

const dep = (id: string, extra: Record<string, unknown> = {}) =>
  toDeployment(
    { model_name: "g", litellm_params: { model: "openai/m", api_base: "http://127.0.0.1:9/v1", ...extra }, model_info: { id } },
    "config",
  );

describe("router strategies", () => {
  test("least-busy picks the deployment with fewest requests in flight", () => {
    const r = new Router({ ...DEFAULT_ROUTER_SETTINGS, routingStrategy: "least-busy" });
    const [a, b] = [dep("a"), dep("b")];
    r.setDeployments([a, b]);
    r.begin(a);
    expect(r.pick([a, b], new Set())!.id).toBe("b");
    r.begin(b);
    r.begin(b);
    expect(r.pick([a, b], new Set())!.id).toBe("a");
  });

  test("latency-based prefers the faster deployment; usage-based the one with fewer tokens this minute", () => {
    const lat = new Router({ ...DEFAULT_ROUTER_SETTINGS, routingStrategy: "latency-based" });
    const [a, b] = [dep("a"), dep("b")];
    lat.setDeployments([a, b]);
    lat.begin(a);
    lat.end(a, true, 50);
    lat.begin(b);
    lat.end(b, true, 5);
    expect(lat.pick([a, b], new Set())!.id).toBe("b");
    const use = new Router({ ...DEFAULT_ROUTER_SETTINGS, routingStrategy: "usage-based" });
    use.setDeployments([a, b]);
    use.addTokens(a, 10);
    use.addTokens(b, 1000);
    expect(use.pick([a, b], new Set())!.id).toBe("a");
  });

  test("rpm caps a deployment, lower order wins, and wildcards resolve by longest prefix", () => {
    const r = new Router(DEFAULT_ROUTER_SETTINGS);
    const capped = dep("capped", { rpm: 1, order: 0 });
    const backup = dep("backup", { order: 1 });
    r.setDeployments([capped, backup]);
    expect(r.pick([capped, backup], new Set())!.id).toBe("capped");
    r.begin(capped);
    expect(r.pick([capped, backup], new Set())!.id).toBe("backup");
    const w1 = toDeployment({ model_name: "openai/*", litellm_params: { model: "openai/*", api_base: "http://x/v1" } }, "config");
    const w2 = toDeployment({ model_name: "openai/gpt-4*", litellm_params: { model: "openai/gpt-4*", api_base: "http://y/v1" } }, "config");
    r.setDeployments([w1, w2]);
    expect(r.resolve("openai/gpt-4o")!.group).toBe("openai/gpt-4*");
    expect(r.resolve("openai/o3")!.group).toBe("openai/*");
    expect(r.resolve("anthropic/x")).toBeUndefined();
  });
});

describe("config.yaml", () => {
  test("reads model_list, os.environ keys, router_settings and fallbacks", () => {
    const cfg = parseGatewayConfig(
      `
model_list:
  - model_name: claude
    litellm_params: { model: anthropic/claude-sonnet-4-5, api_key: os.environ/ANT_KEY, rpm: 60, order: 2 }
  - model_name: local
    litellm_params: { model: ollama/llama3.2, api_base: "http://gpu:11434" }
router_settings: { routing_strategy: least-busy, allowed_fails: 4, cooldown_time: 9, num_retries: 1, timeout: 30, fallbacks: [{ claude: [local] }] }
`,
      { ANT_KEY: "secret-ant" },
    );
    expect(cfg.deployments[0]).toMatchObject({
      provider: "anthropic",
      upstreamModel: "claude-sonnet-4-5",
      apiBase: "https://api.anthropic.com",
      apiKey: "secret-ant",
      rpm: 60,
      order: 2,
    });
    expect(cfg.deployments[1]).toMatchObject({ provider: "openai", upstreamModel: "llama3.2", apiBase: "http://gpu:11434/v1" });
    expect(cfg.router).toEqual({
      routingStrategy: "least-busy",
      allowedFails: 4,
      cooldownSeconds: 9,
      numRetries: 1,
      timeoutMs: 30_000,
      fallbacks: { claude: ["local"] },
    });
  });

  test("a missing environment variable or a model without a model field is a clear error", () => {
    expect(() =>
      parseGatewayConfig("model_list: [{ model_name: a, litellm_params: { model: openai/x, api_key: os.environ/NOPE } }]", {}),
    ).toThrow("NOPE is not set");
    expect(() => parseGatewayConfig("model_list: [{ model_name: a, litellm_params: {} }]", {})).toThrow(
      "model_list.0.litellm_params.model",
    );
  });
});
