import { describe } from "bun:test";
import { harnessContract } from "../../../test/support/harness-contract.ts";
import { DeepAgentsAdapter } from "./index.ts";

describe("deepagents harness (real DeepAgents on LangGraph against the scripted model)", () => {
  harnessContract("deepagents", (config) => new DeepAgentsAdapter(config), { systemPrompt: true });
});
