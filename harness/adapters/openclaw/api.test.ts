// OpenClaw end to end through LAP's sessions API, in a bubblewrap sandbox behind LAP's gateway
// (test/support/harness-api-contract.ts). Outside server/ on purpose: CI runs it once (in the PGlite
// suite), not once per database driver; `LAP_TEST_DB=postgres bun test <this file>` runs it on PostgreSQL.
import { harnessApiSuite } from "../../../test/support/harness-api-contract.ts";

harnessApiSuite("openclaw");
