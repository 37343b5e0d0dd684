/**
 * An agent's files (docs/files.md): uploaded through the API or the dashboard, kept in the database
 * (agent_files), placed in each new session's workspace at sandbox start (./place.ts). Limits per
 * file, per agent in count and in total bytes; a refused upload changes nothing.
 */
import { and, asc, eq, sql } from "drizzle-orm";
import { createHash, randomUUID } from "node:crypto";
import { agentFiles, agents, type AgentFileRow } from "../../schema";
import type { Principal } from "../auth/model";
import { assertMay, SYSTEM, visible } from "../auth/policy";
import { NO_AUDIT, type AuditPort } from "../audit/record";
import type { Database } from "../db/client";
import { ApiError, notFound } from "../lib/errors";
import { owned } from "../agents/service";
import type { AgentFileView } from "./model";

export interface AgentFileLimits {
  maxFileBytes: number;
  maxFiles: number;
  maxTotalBytes: number;
}

export interface NewAgentFile {
  path: string;
  content: Uint8Array;
  contentType?: string;
}

export const tooLargeFile = (field: string, limit: number) =>
  new ApiError(
    413,
    "payload_too_large",
    `${field}: the file is over the limit of ${limit} bytes per agent file (LAP_AGENT_FILE_MAX_BYTES)`,
    [{ field, message: `over ${limit} bytes` }],
  );

export class AgentFileService {
  constructor(private readonly deps: { database: Database; limits: AgentFileLimits; audit?: AuditPort }) {}

  get limits() {
    return this.deps.limits;
  }

  private get db() {
    return this.deps.database.db;
  }

  /** The agent if the caller may see it (else 404); `act`: 403 unless it may change it. */
  private async agent(agentId: string, actor: Principal, action?: "act") {
    const [row] = await this.db.select().from(agents).where(eq(agents.id, agentId));
    if (!row || !visible(actor, owned(row))) throw notFound("Agent");
    if (action) assertMay(actor, action, owned(row), "this agent");
    return row;
  }

  /** 404 unless the caller sees the agent, 403 unless it may change it (routes ask before reading a body). */
  async writable(agentId: string, actor: Principal = SYSTEM): Promise<void> {
    await this.agent(agentId, actor, "act");
  }

  async list(agentId: string, actor: Principal = SYSTEM) {
    await this.agent(agentId, actor);
    const rows = await this.db.select(metaColumns).from(agentFiles).where(eq(agentFiles.agentId, agentId)).orderBy(asc(agentFiles.path));
    const l = this.deps.limits;
    return {
      data: rows.map(fileView),
      total_bytes: rows.reduce((n, r) => n + r.size, 0),
      limits: { max_file_bytes: l.maxFileBytes, max_files: l.maxFiles, max_total_bytes: l.maxTotalBytes },
    };
  }

  /** Adds or replaces files (all or none): paths already normalized by the route's schema. */
  async put(agentId: string, files: NewAgentFile[], actor: Principal = SYSTEM): Promise<AgentFileView[]> {
    const agent = await this.agent(agentId, actor, "act");
    const l = this.deps.limits;
    const seen = new Set<string>();
    files.forEach((f, i) => {
      const field = files.length > 1 ? `file[${i}]` : "file";
      if (f.content.byteLength > l.maxFileBytes) throw tooLargeFile(field, l.maxFileBytes);
      if (seen.has(f.path))
        throw new ApiError(400, "invalid_request", `${field}: ${f.path} is given twice`, [{ field, message: "path given twice" }]);
      seen.add(f.path);
    });
    const audit = this.deps.audit ?? NO_AUDIT;
    return this.db.transaction(async (tx) => {
      // One upload at a time per agent, so two cannot each pass the limits together (Postgres; PGlite has one connection).
      await tx.execute(sql`select id from ${agents} where ${agents.id} = ${agentId} for update`);
      const current = await tx
        .select({ path: agentFiles.path, size: agentFiles.size })
        .from(agentFiles)
        .where(eq(agentFiles.agentId, agentId));
      const kept = current.filter((c) => !seen.has(c.path));
      const count = kept.length + files.length;
      const total = kept.reduce((n, c) => n + c.size, 0) + files.reduce((n, f) => n + f.content.byteLength, 0);
      if (count > l.maxFiles)
        throw new ApiError(
          409,
          "too_many_files",
          `file: an agent holds at most ${l.maxFiles} files (LAP_AGENT_FILES_MAX_COUNT); it would have ${count}`,
          [{ field: "file", message: `over ${l.maxFiles} files` }],
        );
      if (total > l.maxTotalBytes)
        throw new ApiError(
          413,
          "payload_too_large",
          `file: an agent's files total at most ${l.maxTotalBytes} bytes (LAP_AGENT_FILES_MAX_TOTAL_BYTES); they would total ${total}`,
          [{ field: "file", message: `over ${l.maxTotalBytes} bytes in total` }],
        );
      const out: AgentFileView[] = [];
      for (const f of files) {
        const before = current.find((c) => c.path === f.path);
        const values = {
          size: f.content.byteLength,
          sha256: createHash("sha256").update(f.content).digest("hex"),
          contentType: f.contentType || "application/octet-stream",
          content: f.content,
          updatedAt: new Date(),
        };
        const [row] = await tx
          .insert(agentFiles)
          .values({ id: `afl_${randomUUID().replaceAll("-", "").slice(0, 20)}`, agentId, teamId: agent.teamId, path: f.path, ...values })
          .onConflictDoUpdate({ target: [agentFiles.agentId, agentFiles.path], set: values })
          .returning(metaColumns);
        const view = fileView(row!);
        await audit.record(tx, {
          actor,
          action: before ? "agent_file.replace" : "agent_file.upload",
          objectType: "agent_file",
          objectId: row!.id,
          teamId: agent.teamId,
          before: before ?? null,
          after: view,
          detail: { agent_id: agentId },
        });
        out.push(view);
      }
      return out;
    });
  }

  async content(agentId: string, path: string, actor: Principal = SYSTEM): Promise<AgentFileRow> {
    await this.agent(agentId, actor);
    const [row] = await this.db
      .select()
      .from(agentFiles)
      .where(and(eq(agentFiles.agentId, agentId), eq(agentFiles.path, path)));
    if (!row) throw notFound("File");
    return row;
  }

  async remove(agentId: string, path: string, actor: Principal = SYSTEM): Promise<AgentFileView> {
    const agent = await this.agent(agentId, actor, "act");
    const audit = this.deps.audit ?? NO_AUDIT;
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .delete(agentFiles)
        .where(and(eq(agentFiles.agentId, agentId), eq(agentFiles.path, path)))
        .returning(metaColumns);
      if (!row) throw notFound("File");
      const view = fileView(row);
      await audit.record(tx, {
        actor,
        action: "agent_file.delete",
        objectType: "agent_file",
        objectId: row.id,
        teamId: agent.teamId,
        before: view,
        after: null,
        detail: { agent_id: agentId },
      });
      return view;
    });
  }

  /** Every file of an agent with its content, for a new session's workspace. */
  async forSession(agentId: string): Promise<Array<{ path: string; content: Uint8Array }>> {
    const rows = await this.db
      .select({ path: agentFiles.path, content: agentFiles.content })
      .from(agentFiles)
      .where(eq(agentFiles.agentId, agentId))
      .orderBy(asc(agentFiles.path));
    return rows.map((r) => ({ path: r.path, content: new Uint8Array(r.content) }));
  }
}

const metaColumns = {
  id: agentFiles.id,
  agentId: agentFiles.agentId,
  path: agentFiles.path,
  size: agentFiles.size,
  sha256: agentFiles.sha256,
  contentType: agentFiles.contentType,
  createdAt: agentFiles.createdAt,
  updatedAt: agentFiles.updatedAt,
};

type FileMeta = Omit<AgentFileRow, "content" | "teamId">;
export function fileView(r: FileMeta): AgentFileView {
  return {
    id: r.id,
    agent_id: r.agentId,
    path: r.path,
    size: r.size,
    sha256: r.sha256,
    content_type: r.contentType,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}
