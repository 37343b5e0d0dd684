// Typed calls to LAP's API. Types come from the server's own models so the two cannot drift.
import type { ApiKeyView, CreateKeyInput } from "../../../server/auth/model";
import type { SystemInfo } from "../../../server/settings/model";

export type { ApiKeyView, CreateKeyInput, SystemInfo };
export interface Me {
  name: string;
  role: "admin" | "user";
  via: string;
  label: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: { field: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/** Called when any request comes back 401, so the app can send the user to the login page. */
let onUnauthorized: () => void = () => {};
export const setUnauthorizedHandler = (fn: () => void) => (onUnauthorized = fn);

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network", "LAP is not reachable. Is `npm start` still running?");
  }
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) {
    if (res.status === 401 && !path.endsWith("/login")) onUnauthorized();
    const err = json?.error ?? {};
    throw new ApiError(res.status, err.code ?? "http_error", err.message ?? `HTTP ${res.status}`, err.fields);
  }
  return json as T;
}

export const api = {
  auth: {
    login: (key: string) => request<Me>("POST", "/api/auth/login", { key }),
    logout: () => request<{ ok: true }>("POST", "/api/auth/logout"),
    me: () => request<Me>("GET", "/api/auth/me"),
  },
  keys: {
    list: () => request<{ data: ApiKeyView[] }>("GET", "/api/keys").then((r) => r.data),
    create: (input: CreateKeyInput) => request<{ key: ApiKeyView; token: string }>("POST", "/api/keys", input),
    revoke: (id: string) => request<ApiKeyView>("DELETE", `/api/keys/${encodeURIComponent(id)}`),
  },
  settings: {
    system: () => request<SystemInfo>("GET", "/api/settings/system"),
  },
};

// Sandboxes (server/sandboxes/model.ts).
import type { z } from "zod";
import type { egressRecordView, poolView, SandboxView } from "../../../server/sandboxes/model";
export type { SandboxView };
export type PoolView = z.infer<typeof poolView>;
export type EgressRecordView = z.infer<typeof egressRecordView>;
export const sandboxesApi = {
  list: () => request<{ data: SandboxView[] }>("GET", "/api/sandboxes").then((r) => r.data),
  pool: () => request<PoolView>("GET", "/api/sandboxes/pool"),
  refillPool: () => request<PoolView>("POST", "/api/sandboxes/pool/refill"),
  egress: () => request<{ data: EgressRecordView[] }>("GET", "/api/sandboxes/egress").then((r) => r.data),
  stop: (id: string) => request<{ ok: true }>("POST", `/api/sandboxes/${encodeURIComponent(id)}/stop`),
  destroy: (id: string, dropWorkspace = false) => request<{ ok: true }>("DELETE", `/api/sandboxes/${encodeURIComponent(id)}${dropWorkspace ? "?drop_workspace=true" : ""}`),
};
