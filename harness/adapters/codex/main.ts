// Entry the supervisor starts for the codex harness (LAP_HARNESS=codex); see ../stdio.ts.
import { runStdioHarness } from "../stdio.ts";

await runStdioHarness("codex");
