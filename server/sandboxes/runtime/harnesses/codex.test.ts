// The codex harness end to end through LAP's sessions API (see test/support/harness-api-contract.ts).
import { harnessApiSuite } from "../../../../test/support/harness-api-contract.ts";

harnessApiSuite("codex");
