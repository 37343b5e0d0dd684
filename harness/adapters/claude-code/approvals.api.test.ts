// Tool approvals with Claude Code end to end through LAP's HTTP API (test/support/approvals-api-contract.ts).
// Outside server/ for the same reason as api.test.ts (CI runs it once); `LAP_TEST_DB=postgres bun test
// <this file>` runs it on PostgreSQL.
import { approvalsApiContract } from "../../../test/support/approvals-api-contract.ts";

approvalsApiContract({ harness: "claude-code", model: "anthropic", tools: { write: "Write", bash: "Bash" } });
