// Tool approvals with opencode end to end through LAP's HTTP API (test/support/approvals-api-contract.ts):
// a decision answers opencode's waiting permission request, so the same opencode session goes on.
// Outside server/ for the same reason as api.test.ts (CI runs it once); `LAP_TEST_DB=postgres bun test
// <this file>` runs it on PostgreSQL.
import { approvalsApiContract } from "../../../test/support/approvals-api-contract.ts";

// opencode writes through apply_patch for gpt-* models: its "edit" permission is not listed.
approvalsApiContract({ harness: "opencode", model: "openai", tools: { write: "apply_patch", bash: "bash" } });
