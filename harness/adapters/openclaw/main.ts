// Entry the supervisor starts for the openclaw harness (LAP_HARNESS=openclaw); see ../stdio.ts.
import { runStdioHarness } from "../stdio.ts";

await runStdioHarness("openclaw");
