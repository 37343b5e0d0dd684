import { Elysia } from "elysia";
import type { AuthGuard } from "../http/auth-guard";
import { agentIdParams } from "../agents/model";
import { sessionIdParams } from "../sessions/model";
import { ApiError, badRequest } from "../lib/errors";
import { DEFAULT_JSON_LIMITS, type JsonLimits, readJsonBody } from "../http/json-body";
import { type AgentFileService, type NewAgentFile, tooLargeFile } from "./agent-files";
import {
  jsonUploadBody,
  normalized,
  agentFileListView,
  fileParams,
  filePath,
  agentFilesUploadedView,
  agentFileView,
  workspaceListView,
  workspacePathQuery,
} from "./model";
import { normalizeRelativePath } from "../../harness/files/paths";
import { downloadHeaders, type WorkspaceFiles } from "./workspace";

/** The body's bytes, refused (413 naming `field`) as soon as they pass `max`. */
async function readBytes(request: Request, max: number, field: string): Promise<Uint8Array> {
  if (Number(request.headers.get("content-length") ?? 0) > max) throw tooLargeFile(field, max);
  if (!request.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > max) throw tooLargeFile(field, max);
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/** JSON `{ files: [{ path, content_base64, content_type? }] }` (the dashboard's form; see model.ts). */
async function filesFromJson(request: Request, limits: JsonLimits, maxFileBytes: number): Promise<NewAgentFile[]> {
  const parsed = jsonUploadBody.safeParse(await readJsonBody(request, limits));
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => ({ field: i.path.join(".") || "(body)", message: i.message }));
    throw badRequest(`Invalid body: ${fields.map((f) => `${f.field}: ${f.message}`).join("; ")}`, fields);
  }
  return parsed.data.files.map((f, i) => {
    // base64 is 4 characters for 3 bytes: refuse before decoding what cannot fit.
    if (Math.floor((f.content_base64.length * 3) / 4) - 2 > maxFileBytes) throw tooLargeFile(`files.${i}.content_base64`, maxFileBytes);
    const content = new Uint8Array(Buffer.from(f.content_base64, "base64"));
    if (content.byteLength > maxFileBytes) throw tooLargeFile(`files.${i}.content_base64`, maxFileBytes);
    return { path: normalized(f.path), content, contentType: safeType(f.content_type) };
  });
}

const isJson = (request: Request) => (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase() === "application/json";

/** multipart/form-data: `file` parts (one or more), each at `path` (the same count, in order) or its file name. */
async function filesFromForm(request: Request, maxFileBytes: number): Promise<NewAgentFile[]> {
  if (!(request.headers.get("content-type") ?? "").toLowerCase().startsWith("multipart/form-data")) {
    throw new ApiError(
      415,
      "unsupported_media_type",
      "Send multipart/form-data with file parts, JSON { files: [{ path, content_base64 }] }, or PUT the raw bytes to files/<path>",
      [{ field: "(body)", message: "not multipart/form-data" }],
    );
  }
  let form: FormData;
  try {
    form = await request.formData();
  } catch {
    throw badRequest("The multipart body could not be parsed", [{ field: "(body)", message: "malformed multipart/form-data" }]);
  }
  const parts = form.getAll("file");
  const paths = form.getAll("path");
  if (parts.length === 0) throw badRequest("file: no file part", [{ field: "file", message: "required" }]);
  if (paths.length && paths.length !== parts.length)
    throw badRequest("path: give one path per file part, or none", [{ field: "path", message: "one per file" }]);
  const out: NewAgentFile[] = [];
  for (const [i, part] of parts.entries()) {
    const field = parts.length > 1 ? `file[${i}]` : "file";
    if (typeof part === "string") throw badRequest(`${field}: not a file`, [{ field, message: "must be a file part" }]);
    if (part.size > maxFileBytes) throw tooLargeFile(field, maxFileBytes);
    const named = paths[i] ?? part.name;
    const pathField = paths.length ? (parts.length > 1 ? `path[${i}]` : "path") : field;
    const p = typeof named === "string" ? normalizeRelativePath(named) : ({ ok: false, message: "must be text" } as const);
    if (!p.ok) throw badRequest(`${pathField}: ${p.message}`, [{ field: pathField, message: p.message }]);
    out.push({ path: p.path, content: new Uint8Array(await part.arrayBuffer()), contentType: safeType(part.type) });
  }
  return out;
}

/** A content type as stored and shown (never used to render: downloads are attachments). */
const safeType = (t: string | null | undefined) =>
  t && /^[\w.+-]+\/[\w.+-]+$/.test(t.split(";")[0]!.trim()) ? t.split(";")[0]!.trim().slice(0, 100) : "application/octet-stream";

/** An agent's files (docs/files.md): the agent's viewers read them, those who may change the agent change them. */
export function agentFileRoutes(deps: { files: AgentFileService; guard: AuthGuard; jsonLimits?: JsonLimits }) {
  return new Elysia({ prefix: "/api/agents", detail: { tags: ["Agent files"] } })
    .use(deps.guard)
    .get("/:id/files", ({ params, principal }) => deps.files.list(params.id, principal), {
      params: agentIdParams,
      response: agentFileListView,
      detail: { summary: "List the agent's files (placed in each new session's workspace)" },
    })
    .post(
      "/:id/files",
      async ({ params, request, set, principal }) => {
        // Who may change the agent is checked before the body is read: another team's key gets 404 whatever it sent.
        await deps.files.writable(params.id, principal);
        const max = deps.files.limits.maxFileBytes;
        const files = isJson(request)
          ? await filesFromJson(request, deps.jsonLimits ?? DEFAULT_JSON_LIMITS, max)
          : await filesFromForm(request, max);
        set.status = 201;
        return { data: await deps.files.put(params.id, files, principal) };
      },
      {
        parse: "none",
        params: agentIdParams,
        response: { 201: agentFilesUploadedView },
        detail: {
          summary:
            "Upload files: multipart/form-data `file` parts (optional `path` per part), or JSON { files: [{ path, content_base64 }] }; all or none",
        },
      },
    )
    .put(
      "/:id/files/*",
      async ({ params, request, principal }) => {
        await deps.files.writable(params.id, principal);
        const path = filePath(params["*"]);
        const content = await readBytes(request, deps.files.limits.maxFileBytes, "(body)");
        const [view] = await deps.files.put(
          params.id,
          [{ path, content, contentType: safeType(request.headers.get("content-type")) }],
          principal,
        );
        return view!;
      },
      {
        parse: "none",
        params: fileParams,
        filePath,
        response: agentFileView,
        detail: { summary: "Upload one file: the raw body, at the path after files/ (replaces a file there)" },
      },
    )
    .get(
      "/:id/files/*",
      async ({ params, principal }) => {
        const row = await deps.files.content(params.id, filePath(params["*"]), principal);
        return new Response(new Uint8Array(row.content), {
          headers: downloadHeaders(row.path.split("/").at(-1)!, "application/octet-stream", row.size),
        });
      },
      { params: fileParams, filePath, detail: { summary: "Download one of the agent's files" } },
    )
    .delete("/:id/files/*", ({ params, principal }) => deps.files.remove(params.id, filePath(params["*"]), principal), {
      params: fileParams,
      response: agentFileView,
      detail: { summary: "Delete one of the agent's files" },
    });
}

/** Both, for server/app.ts. */
export const fileRoutes = (deps: { files: AgentFileService; workspace: WorkspaceFiles; guard: AuthGuard; jsonLimits?: JsonLimits }) =>
  new Elysia().use(agentFileRoutes(deps)).use(sessionFileRoutes(deps));

/** A session's workspace (docs/files.md): whoever sees the session reads its files. */
export function sessionFileRoutes(deps: { workspace: WorkspaceFiles; guard: AuthGuard }) {
  return new Elysia({ prefix: "/api/sessions", detail: { tags: ["Session files"] } })
    .use(deps.guard)
    .get("/:id/files", ({ params, query, principal }) => deps.workspace.list(params.id, normalized(query.path ?? "", true), principal), {
      params: sessionIdParams,
      query: workspacePathQuery,
      response: workspaceListView,
      detail: { summary: "The workspace's tree below ?path= (no links; capped)" },
    })
    .get("/:id/files/*", ({ params, principal }) => deps.workspace.download(params.id, filePath(params["*"]), principal), {
      params: fileParams,
      detail: { summary: "Download one file of the workspace (the path after files/)" },
    })
    .get("/:id/files.zip", ({ params, query, principal }) => deps.workspace.zip(params.id, normalized(query.path ?? "", true), principal), {
      params: sessionIdParams,
      query: workspacePathQuery,
      detail: { summary: "Download the workspace, or the folder at ?path=, as a zip (streamed)" },
    });
}
