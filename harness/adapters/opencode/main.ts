// Entry the supervisor starts for the opencode harness (LAP_HARNESS=opencode); see ../stdio.ts.
import { runStdioHarness } from "../stdio.ts";

await runStdioHarness("opencode");
