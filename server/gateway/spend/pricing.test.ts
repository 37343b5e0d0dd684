import { expect, test } from "bun:test";
import { toDeployment } from "../config/deployments";
import { priceOf, warnOnce } from "./pricing";

const dep = (model: string, info: Record<string, unknown> = {}) =>
  toDeployment({ model_name: "m", litellm_params: { model, api_base: "http://127.0.0.1:9/v1" }, model_info: info }, "config");

test("table prices by longest prefix, config overrides, unknown models cost 0 with one warning", () => {
  const warnings: string[] = [];
  const warn = warnOnce((m) => warnings.push(m));
  expect(priceOf(dep("anthropic/claude-sonnet-4-5-20250929"), "claude-sonnet-4-5-20250929", warn)).toEqual({
    input: 3e-6,
    output: 15e-6,
    known: true,
  });
  expect(priceOf(dep("openai/gpt-4o-mini"), "gpt-4o-mini", warn).input).toBeCloseTo(0.15e-6, 12);
  expect(priceOf(dep("openai/gpt-4o"), "gpt-4o", warn).input).toBeCloseTo(2.5e-6, 12);
  expect(priceOf(dep("openai/x", { input_cost_per_token: 1, output_cost_per_token: 2 }), "x", warn)).toEqual({
    input: 1,
    output: 2,
    known: true,
  });
  expect(priceOf(dep("openai/mystery"), "mystery", warn)).toEqual({ input: 0, output: 0, known: false });
  priceOf(dep("openai/mystery"), "mystery", warn);
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toContain("mystery");
});
