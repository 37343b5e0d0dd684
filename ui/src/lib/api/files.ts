// An agent's files and a session's workspace (docs/files.md).
import type { z } from "zod";
import type {
  agentFileListView,
  agentFilesUploadedView,
  AgentFileView,
  workspaceEntryView,
  workspaceListView,
} from "../../../../server/files/model";
import { q, request } from "./client";

export type { AgentFileView };
export type AgentFileList = z.infer<typeof agentFileListView>;
export type WorkspaceEntry = z.infer<typeof workspaceEntryView>;
export type WorkspaceList = z.infer<typeof workspaceListView>;

function toBase64(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** A path in a URL: each folder name encoded, the slashes kept. */
const urlPath = (path: string) => path.split("/").map(encodeURIComponent).join("/");

export const filesApi = {
  agentFiles: {
    list: (agentId: string) => request<AgentFileList>("GET", `/api/agents/${encodeURIComponent(agentId)}/files`),
    /** JSON with base64 content: a dashboard (cookie) session may only send JSON (docs/security.md). */
    upload: async (agentId: string, files: File[], paths?: string[]) => {
      const encoded = await Promise.all(
        files.map(async (f, i) => ({
          path: paths?.[i] ?? f.name,
          content_base64: toBase64(new Uint8Array(await f.arrayBuffer())),
          content_type: f.type || undefined,
        })),
      );
      return request<z.infer<typeof agentFilesUploadedView>>("POST", `/api/agents/${encodeURIComponent(agentId)}/files`, {
        files: encoded,
      });
    },
    remove: (agentId: string, path: string) =>
      request<AgentFileView>("DELETE", `/api/agents/${encodeURIComponent(agentId)}/files/${urlPath(path)}`),
    downloadUrl: (agentId: string, path: string) => `/api/agents/${encodeURIComponent(agentId)}/files/${urlPath(path)}`,
  },
  workspace: {
    list: (sessionId: string, path = "") =>
      request<WorkspaceList>("GET", `/api/sessions/${encodeURIComponent(sessionId)}/files${q({ path })}`),
    fileUrl: (sessionId: string, path: string) => `/api/sessions/${encodeURIComponent(sessionId)}/files/${urlPath(path)}`,
    zipUrl: (sessionId: string, path = "") => `/api/sessions/${encodeURIComponent(sessionId)}/files.zip${q({ path })}`,
  },
};
