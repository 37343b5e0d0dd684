// Entry the supervisor starts for the claude-code harness (LAP_HARNESS=claude-code); see ../stdio.ts.
import { runStdioHarness } from "../stdio.ts";

await runStdioHarness("claude-code");
