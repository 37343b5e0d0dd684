// Sign-in, API keys and system settings.
import type { z } from "zod";
import type { ApiKeyView, CreateKeyInput, createdKeyView, DashboardSessionView, meView } from "../../../../server/auth/model";
import type { SystemInfo } from "../../../../server/settings/model";
import { request } from "./client";

export type { ApiKeyView, CreateKeyInput, DashboardSessionView, SystemInfo };
/** Who is signed in: name, role, how (key or user), and the teams they act in. */
export type Me = z.infer<typeof meView>;

export const authApi = {
  auth: {
    login: (key: string) => request<Me>("POST", "/api/auth/login", { key }),
    loginWithPassword: (email: string, password: string) => request<Me>("POST", "/api/auth/login", { email, password }),
    providers: () => request<{ password: boolean; oidc: boolean }>("GET", "/api/auth/providers"),
    acceptInvitation: (token: string, password: string, name?: string) =>
      request<Me>("POST", "/api/auth/invitations/accept", { token, password, ...(name ? { name } : {}) }),
    logout: () => request<{ ok: true }>("POST", "/api/auth/logout"),
    me: () => request<Me>("GET", "/api/auth/me"),
    sessions: () => request<{ data: DashboardSessionView[] }>("GET", "/api/auth/sessions").then((r) => r.data),
    endAllSessions: () => request<{ revoked: number }>("POST", "/api/auth/sessions/revoke-all"),
  },
  keys: {
    list: () => request<{ data: ApiKeyView[] }>("GET", "/api/keys").then((r) => r.data),
    create: (input: CreateKeyInput) => request<z.infer<typeof createdKeyView>>("POST", "/api/keys", input),
    revoke: (id: string) => request<ApiKeyView>("DELETE", `/api/keys/${encodeURIComponent(id)}`),
  },
  settings: {
    system: () => request<SystemInfo>("GET", "/api/settings/system"),
  },
};
