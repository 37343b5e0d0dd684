import { describe } from "bun:test";
import { harnessContract } from "../../../test/support/harness-contract.ts";
import { ClaudeCodeAdapter } from "./index.ts";

describe("claude-code harness (real claude CLI against the scripted model)", () => {
  harnessContract("claude-code", (config) => new ClaudeCodeAdapter(config), { systemPrompt: true });
});
