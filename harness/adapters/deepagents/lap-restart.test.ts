// deepagents on a local sandbox through a real `lap up` that is SIGKILLed mid-reply and started again, and a
// sandbox killed mid-turn (test/support/cli-restart-contract.ts). Outside server/ on purpose: CI runs
// it once (in the PGlite suite); `LAP_TEST_DB=postgres bun test <this file>` runs it on PostgreSQL.
import { cliRestartSuite } from "../../../test/support/cli-restart-contract.ts";

cliRestartSuite("deepagents");
