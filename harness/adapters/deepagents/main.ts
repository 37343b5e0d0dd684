// Entry the supervisor starts for the deepagents harness (LAP_HARNESS=deepagents); see ../stdio.ts.
import { runStdioHarness } from "../stdio.ts";

await runStdioHarness("deepagents");
