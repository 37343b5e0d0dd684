/**
 * Puts an agent's files into a new session's workspace on the host (local and process sandboxes),
 * after the repository clone: each file is written through ./safe-fs.ts, so a symbolic link a
 * cloned repository (or anything else) left in the workspace is replaced, never written through, and
 * a link where a folder should be refuses the file (docs/security.md "Workspace files").
 */
import { closeSync } from "node:fs";
import { normalizeRelativePath } from "./paths";
import { openRoot, UnsafePathError, writeFileAt } from "./safe-fs";

export class AgentFilePlacementError extends Error {}

export function placeAgentFiles(workspace: string, files: Array<{ path: string; content: Uint8Array }>): number {
  if (files.length === 0) return 0;
  const root = openRoot(workspace);
  try {
    for (const f of files) {
      const p = normalizeRelativePath(f.path);
      if (!p.ok) throw new AgentFilePlacementError(`could not place the agent file ${JSON.stringify(f.path)}: its path ${p.message}`);
      try {
        writeFileAt(root, p.segments, f.content);
      } catch (err) {
        if (err instanceof UnsafePathError)
          throw new AgentFilePlacementError(`could not place the agent file ${p.path} in the workspace: ${err.message}`);
        throw err;
      }
    }
  } finally {
    closeSync(root);
  }
  return files.length;
}
