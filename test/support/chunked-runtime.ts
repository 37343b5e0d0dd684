/**
 * The fake Managed Agents runtime (fake-managed-agents.ts, real HTTP + SSE) read the way LAP reads its
 * own sandbox runtime: every `agent.message` is a piece of one message (RuntimeAdapter.messageChunks),
 * so LAP stores deltas and one whole message (docs/sessions.md "Messages and deltas").
 */
import type { SessionOptions } from "../../server/app";
import { ManagedAgentsAdapter } from "../../server/runtimes/managed-agents";

export class ChunkedRuntime extends ManagedAgentsAdapter {
  readonly messageChunks = true;
}

/** For `sessionOptions`: every registered runtime is read as a chunked one. */
export const chunkedRuntimes: Pick<SessionOptions, "adapterFactory"> = {
  adapterFactory: (row, apiKey) => new ChunkedRuntime({ baseUrl: row.baseUrl, apiKey }),
};
