import { z } from "zod";

/** One harness an agent can run, and whether its CLI is installed on this LAP. */
export const harnessInfo = z.object({
  id: z.string(),
  label: z.string(),
  description: z.string(),
  /** npm package of the CLI (null for the built-in agent). */
  package: z.string().nullable(),
  version: z.string().nullable(),
  /** Native binary shared read-only into sandboxes (null for the built-in agent). */
  binary: z.string().nullable(),
  installed: z.boolean(),
  problem: z.string().nullable(),
});
export type HarnessInfo = z.infer<typeof harnessInfo>;
export const harnessList = z.object({ data: z.array(harnessInfo) });
export type HarnessList = z.infer<typeof harnessList>;
