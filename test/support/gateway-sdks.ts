/**
 * The official OpenAI and Anthropic SDKs as a user's clients of the gateway test env (./gateway.ts),
 * for the caller format × provider format tests (server/gateway/translate-*.test.ts), with the request
 * pieces they share.
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { type GatewayTestEnv, startGatewayTestEnv } from "./gateway";

export async function startGatewaySdks(): Promise<{ env: GatewayTestEnv; openai: OpenAI; anthropic: Anthropic }> {
  const env = await startGatewayTestEnv();
  const openai = new OpenAI({ baseURL: `${env.baseUrl}/v1`, apiKey: env.masterKey, maxRetries: 0 });
  const anthropic = new Anthropic({ baseURL: env.baseUrl, apiKey: env.masterKey, maxRetries: 0 });
  return { env, openai, anthropic };
}

/** Each test starts from the fakes' default answers (no failures, pacing or recorded requests left over). */
export function resetFakeProviders(env: GatewayTestEnv) {
  env.openai.script.reset();
  env.anthropic.script.reset();
}

export const weatherTool = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};
/** A 1×1 PNG, base64. */
export const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
