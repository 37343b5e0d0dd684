// LangGraph's in-memory checkpointer, kept in a file under the harness home so the conversation (and
// a pending approval) outlives the DeepAgents process: after a crash or a restart of the harness the
// next run loads it and the thread carries on. LangGraph ships savers for SQLite and PostgreSQL; the
// SQLite one needs a native module and neither is needed for one session's thread in one sandbox.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { MemorySaver } from "@langchain/langgraph";
import type { Checkpoint, CheckpointMetadata, PendingWrite } from "@langchain/langgraph-checkpoint";
import type { RunnableConfig } from "@langchain/core/runnables";

/** Checkpoints kept per thread and namespace: the latest is what a run resumes from; a few parents for safety. */
const KEEP = 4;

type Stored = { storage: MemorySaver["storage"]; writes: MemorySaver["writes"] };

const encode = (_key: string, value: unknown) => (value instanceof Uint8Array ? { $bytes: Buffer.from(value).toString("base64") } : value);
const decode = (_key: string, value: unknown) =>
  value && typeof value === "object" && typeof (value as { $bytes?: unknown }).$bytes === "string"
    ? new Uint8Array(Buffer.from((value as { $bytes: string }).$bytes, "base64"))
    : value;

export class FileSaver extends MemorySaver {
  constructor(private readonly path: string) {
    super();
    if (!existsSync(path)) return;
    try {
      const stored = JSON.parse(readFileSync(path, "utf8"), decode) as Stored;
      Object.assign(this.storage, stored.storage);
      Object.assign(this.writes, stored.writes);
    } catch (error) {
      // A torn or foreign file: start a fresh thread rather than refusing to run (LAP replays history).
      console.error(`deepagents: ignoring unreadable checkpoint file ${path}: ${(error as Error).message}`);
    }
  }

  /** Whether a conversation was loaded or has been saved. */
  get hasThread(): boolean {
    return Object.keys(this.storage).length > 0;
  }

  override async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata): Promise<RunnableConfig> {
    const saved = await super.put(config, checkpoint, metadata);
    this.persist();
    return saved;
  }

  override async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath?: string): Promise<void> {
    await super.putWrites(config, writes, taskId, taskPath);
    this.persist();
  }

  /** Drops all but the latest checkpoints (and their writes), then writes the file atomically. */
  private persist(): void {
    for (const [threadId, namespaces] of Object.entries(this.storage)) {
      for (const [ns, checkpoints] of Object.entries(namespaces)) {
        for (const id of Object.keys(checkpoints).sort().slice(0, -KEEP)) {
          delete checkpoints[id];
          delete this.writes[JSON.stringify([threadId, ns, id])];
        }
      }
    }
    const temporary = `${this.path}.tmp`;
    writeFileSync(temporary, JSON.stringify({ storage: this.storage, writes: this.writes }, encode), { mode: 0o600 });
    renameSync(temporary, this.path);
  }
}
