import { describe } from "bun:test";
import { harnessContract } from "../../../test/support/harness-contract.ts";
import { CodexAdapter } from "./index.ts";

describe("codex harness (real codex CLI against the scripted model)", () => {
  harnessContract("codex", (config) => new CodexAdapter(config), { systemPrompt: true });
});
