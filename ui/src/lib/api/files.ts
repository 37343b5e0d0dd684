// An agent's files and a session's workspace (docs/files.md).
import type { AgentFileView } from "../../../../server/files/model";
import { ApiError, currentTeam, q, request } from "./client";

export type { AgentFileView };
export interface AgentFileList {
  data: AgentFileView[];
  total_bytes: number;
  limits: { max_file_bytes: number; max_files: number; max_total_bytes: number };
}
export interface WorkspaceEntry {
  path: string;
  type: "file" | "dir";
  size: number;
  modified_at: string;
}
export interface WorkspaceList {
  path: string;
  data: WorkspaceEntry[];
  truncated: boolean;
  skipped: number;
  sandbox_running: boolean;
}

/** A path in a URL: each folder name encoded, the slashes kept. */
const urlPath = (path: string) => path.split("/").map(encodeURIComponent).join("/");

export const filesApi = {
  agentFiles: {
    list: (agentId: string) => request<AgentFileList>("GET", `/api/agents/${encodeURIComponent(agentId)}/files`),
    /** multipart/form-data: each file at its own name (or `paths`, one per file). */
    upload: async (agentId: string, files: File[], paths?: string[]) => {
      const form = new FormData();
      files.forEach((f, i) => {
        form.append("file", f, f.name);
        if (paths) form.append("path", paths[i]!);
      });
      const headers: Record<string, string> = currentTeam() ? { "x-lap-team": currentTeam() } : {};
      const res = await fetch(`/api/agents/${encodeURIComponent(agentId)}/files`, { method: "POST", credentials: "same-origin", headers, body: form });
      const json = await res.json().catch(() => null);
      if (!res.ok) throw new ApiError(res.status, json?.error?.code ?? "http_error", json?.error?.message ?? `HTTP ${res.status}`, json?.error?.fields);
      return json as { data: AgentFileView[] };
    },
    remove: (agentId: string, path: string) => request<AgentFileView>("DELETE", `/api/agents/${encodeURIComponent(agentId)}/files/${urlPath(path)}`),
    downloadUrl: (agentId: string, path: string) => `/api/agents/${encodeURIComponent(agentId)}/files/${urlPath(path)}`,
  },
  workspace: {
    list: (sessionId: string, path = "") => request<WorkspaceList>("GET", `/api/sessions/${encodeURIComponent(sessionId)}/files${q({ path })}`),
    fileUrl: (sessionId: string, path: string) => `/api/sessions/${encodeURIComponent(sessionId)}/files/${urlPath(path)}`,
    zipUrl: (sessionId: string, path = "") => `/api/sessions/${encodeURIComponent(sessionId)}/files.zip${q({ path })}`,
  },
};
