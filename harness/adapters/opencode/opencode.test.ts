import { describe } from "bun:test";
import { harnessContract } from "../../../test/support/harness-contract.ts";
import { OpencodeAdapter } from "./index.ts";

describe("opencode harness (real opencode serve against the scripted model)", () => {
  harnessContract("opencode", (config) => new OpencodeAdapter(config), { systemPrompt: true });
});
