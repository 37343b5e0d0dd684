// Tool approvals with DeepAgents end to end through LAP's HTTP API (test/support/approvals-api-contract.ts):
// DeepAgents' human-in-the-loop middleware stops the graph before a listed tool; a decision resumes the
// same LangGraph thread in the same process. Outside server/ for the same reason as api.test.ts (CI runs
// it once); `LAP_TEST_DB=postgres bun test <this file>` runs it on PostgreSQL.
import { approvalsApiContract } from "../../../test/support/approvals-api-contract.ts";

approvalsApiContract({ harness: "deepagents", model: "openai", tools: { write: "write_file", bash: "execute" } });
