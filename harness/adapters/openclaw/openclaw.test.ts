import { describe } from "bun:test";
import { harnessContract } from "../../../test/support/harness-contract.ts";
import { OPENCLAW_MISSING } from "../../../test/support/skip.ts";
import { OpenclawAdapter } from "./index.ts";

describe("openclaw harness (real OpenClaw Gateway + ACP bridge against the scripted model)", () => {
  harnessContract("openclaw", (config) => new OpenclawAdapter(config), {
    missing: OPENCLAW_MISSING,
    thinking: false,
    systemPrompt: true,
    timeoutMs: 400_000,
  });
});
