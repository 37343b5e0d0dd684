import type { SlackStore } from "./store";
import type { SlackClients } from "./web";

export interface WorkspaceAuth {
  teamId: string;
  botToken: string;
  botUserId?: string;
  botId?: string;
}

/**
 * Which bot token speaks for a workspace: its OAuth installation, else the single-workspace
 * SLACK_BOT_TOKEN (its bot user id is learned once from auth.test and cached).
 */
export class WorkspaceAuthResolver {
  private single?: Promise<{ botUserId?: string; botId?: string; teamId?: string }>;
  constructor(private readonly deps: { store: SlackStore; clients: SlackClients; singleBotToken?: string }) {}

  async forTeam(teamId: string): Promise<WorkspaceAuth | null> {
    const inst = teamId ? await this.deps.store.installation(teamId) : null;
    if (inst) return { teamId, botToken: inst.botToken, botUserId: inst.botUserId };
    const token = this.deps.singleBotToken;
    if (!token) return null;
    this.single ??= this.deps.clients
      .forToken(token)
      .then((client) => client.auth.test())
      .then((r) => ({ botUserId: r.user_id, botId: r.bot_id, teamId: r.team_id }))
      .catch((err) => {
        this.single = undefined; // try again on the next event
        throw err;
      });
    // If Slack is unreachable right now, still accept the event (it is stored and answered later);
    // bot messages are dropped by their bot_id anyway, so the unknown bot user id costs little.
    const who = await this.single.catch(() => ({ botUserId: undefined, botId: undefined, teamId: undefined }));
    // A single-workspace token only speaks for its own workspace.
    if (who.teamId && teamId && who.teamId !== teamId) return null;
    return { teamId: teamId || who.teamId || "", botToken: token, botUserId: who.botUserId, botId: who.botId };
  }
}
