// Teams, their members, users, and spend per team and user.
import type { z } from "zod";
import type { MemberInput, MemberView, spendRow, TeamView } from "../../../../server/teams/model";
import type { UserView } from "../../../../server/users/model";
import { request } from "./client";

export type { MemberInput, MemberView, TeamView, UserView };
export type SpendRow = z.infer<typeof spendRow>;

export const teamsApi = {
  teams: {
    list: () => request<{ data: TeamView[] }>("GET", "/api/teams").then((r) => r.data),
    create: (alias: string) => request<TeamView>("POST", "/api/teams", { alias }),
    members: (id: string) => request<{ data: MemberView[] }>("GET", `/api/teams/${encodeURIComponent(id)}/members`).then((r) => r.data),
    addMember: (id: string, input: MemberInput) =>
      request<{ member: MemberView; invitation?: { token: string; url: string } }>(
        "POST",
        `/api/teams/${encodeURIComponent(id)}/members`,
        input,
      ),
    setRole: (id: string, userId: string, role: string) =>
      request<MemberView>("PATCH", `/api/teams/${encodeURIComponent(id)}/members/${encodeURIComponent(userId)}`, { role }),
    removeMember: (id: string, userId: string) =>
      request<{ removed: string }>("DELETE", `/api/teams/${encodeURIComponent(id)}/members/${encodeURIComponent(userId)}`),
    spend: () => request<{ data: SpendRow[] }>("GET", "/api/teams/spend").then((r) => r.data),
  },
  users: {
    spend: () => request<{ data: SpendRow[] }>("GET", "/api/users/spend").then((r) => r.data),
  },
};
