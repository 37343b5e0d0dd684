/**
 * Puts an agent's files into a new session's workspace in a pod (docs/files.md "Kubernetes"), through
 * its supervisor's `POST /lap/files` (harness/supervisor/files.ts), which checks every path and writes
 * without following links as ../../harness/files/place.ts does on the host. Sent in batches so one
 * request body stays well below what the supervisor accepts.
 */
import { AgentFilePlacementError } from "../../harness/files/place";

/** Raw bytes per request (base64 makes the body a third larger). */
export const PLACE_BATCH_BYTES = 8 * 1024 * 1024;

export async function placeAgentFilesRemote(
  post: (jsonBody: string) => Promise<Response>,
  files: Array<{ path: string; content: Uint8Array }>,
): Promise<number> {
  let batch: Array<{ path: string; content_base64: string }> = [];
  let size = 0;
  const send = async () => {
    if (!batch.length) return;
    const res = await post(JSON.stringify({ files: batch }));
    if (!res.ok) {
      const text = (await res.text().catch(() => "")).slice(0, 500);
      let message = text;
      try {
        message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
      } catch {}
      throw new AgentFilePlacementError(
        `could not place the agent's files in the pod's workspace (HTTP ${res.status}): ${message.replace(/[^\x20-\x7e]/g, "?").slice(0, 300)}`,
      );
    }
    await res.body?.cancel();
    batch = [];
    size = 0;
  };
  for (const f of files) {
    if (size > 0 && size + f.content.byteLength > PLACE_BATCH_BYTES) await send();
    batch.push({ path: f.path, content_base64: Buffer.from(f.content).toString("base64") });
    size += f.content.byteLength;
  }
  await send();
  return files.length;
}
