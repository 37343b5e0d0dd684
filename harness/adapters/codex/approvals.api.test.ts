// Tool approvals with Codex end to end through LAP's HTTP API (test/support/approvals-api-contract.ts):
// the real `codex app-server`, its model calls through the gateway's Responses API; a decision resumes
// the same Codex turn. Outside server/ for the same reason as api.test.ts (CI runs it once);
// `LAP_TEST_DB=postgres bun test <this file>` runs it on PostgreSQL.
import { approvalsApiContract } from "../../../test/support/approvals-api-contract.ts";

approvalsApiContract({
  harness: "codex",
  model: "openai",
  tools: { write: "file_change", bash: "command_execution" },
  denyScript: [
    {
      when: "risky job",
      steps: [
        { kind: "run", command: "echo ran > /workspace/risky.txt" },
        { kind: "text", text: "ran it" },
      ],
    },
    // The person's reason reaches Codex's model as a user message in the same turn (turn/steer).
    { when: "not on this machine", steps: [{ kind: "text", text: "Understood, not running it." }] },
  ],
});
