import type { WebClient } from "@slack/web-api";
import { EMPTY_PROMPT } from "./events";
import { escapeSlack } from "./mrkdwn";
import type { SlackService } from "./service";
import { slackErrorCode } from "./web";

export interface CommandDeps {
  service: SlackService;
}

interface SlashCommand {
  team_id: string;
  channel_id: string;
  user_id: string;
  text: string;
  trigger_id: string;
}

type Ack = (response: { response_type: "ephemeral" | "in_channel"; text: string }) => Promise<void>;

export const LAP_HELP = [
  "*/lap* talks to LAP agents:",
  "• `/lap status`: which agent answers here and how many threads it has",
  "• `/lap new [prompt]`: start a new session in a new thread",
  "• `/lap agent [name]`: list agents, or choose the one that answers in this channel",
].join("\n");

/** `/lap status | new [prompt] | agent [name]`. Answers within Slack's window; `new` finishes in the background. */
export async function handleLapCommand(deps: CommandDeps, args: { command: SlashCommand; client: WebClient; ack: Ack }) {
  const { service } = deps;
  const { store, sessions } = service.deps;
  const { command, client, ack } = args;
  const [verb = "", ...rest] = command.text.trim().split(/\s+/);
  const arg = command.text.trim().slice(verb.length).trim();
  const say = (text: string) => ack({ response_type: "ephemeral", text });

  switch (verb.toLowerCase()) {
    case "status": {
      const agentId = await store.resolveAgent(command.team_id, command.channel_id);
      const agent = agentId ? await sessions.findAgent(agentId) : null;
      const threads = await store.countThreads(command.team_id, command.channel_id);
      return say(
        agent
          ? `*${escapeSlack(agent.name)}* answers in this channel. ${threads} thread${threads === 1 ? "" : "s"} here have a session.`
          : `No agent answers in this channel yet. Choose one with \`/lap agent <name>\`.`,
      );
    }
    case "agent": {
      if (!arg) {
        const agents = await sessions.listAgents();
        return say(
          agents.length ? `Agents: ${agents.map((a) => `\`${escapeSlack(a.name)}\``).join(", ")}` : "There are no agents on this LAP yet.",
        );
      }
      const agent = await sessions.findAgent(arg);
      if (!agent) return say(`No agent named \`${escapeSlack(arg)}\`. Try \`/lap agent\` to list them.`);
      await store.upsertBinding(command.team_id, command.channel_id, agent.id);
      return say(`*${escapeSlack(agent.name)}* now answers in this channel.`);
    }
    case "new": {
      const agentId = await store.resolveAgent(command.team_id, command.channel_id);
      const agent = agentId ? await sessions.findAgent(agentId) : null;
      if (!agent) return say("No agent answers in this channel yet. Choose one with `/lap agent <name>` first.");
      await say(`Starting a session with *${escapeSlack(agent.name)}*…`);
      service.background(startFromCommand(service, client, command, agent, rest.length ? arg : ""));
      return;
    }
    default:
      return say(LAP_HELP);
  }
}

/** Posts the thread root, then treats the prompt like a mention in that thread (same inbox, same reply). */
async function startFromCommand(
  service: SlackService,
  client: WebClient,
  command: SlashCommand,
  agent: { id: string; name: string },
  prompt: string,
) {
  const { store, sessions } = service.deps;
  let root: Awaited<ReturnType<typeof client.chat.postMessage>>;
  try {
    root = await client.chat.postMessage({
      channel: command.channel_id,
      text: `<@${command.user_id}> started a session with *${escapeSlack(agent.name)}*${prompt ? `: ${escapeSlack(prompt)}` : ". Reply in this thread to talk to it."}`,
    });
  } catch (err) {
    await client.chat
      .postEphemeral({
        channel: command.channel_id,
        user: command.user_id,
        text: `Could not post here: ${slackErrorCode(err)}. Invite the bot to this channel first.`,
      })
      .catch(() => {});
    return;
  }
  const ts = root.ts!;
  if (!prompt) {
    const created = await sessions.createSession({
      agentId: agent.id,
      title: `Slack ${command.channel_id} ${ts}`,
      metadata: { source: "slack", team_id: command.team_id, channel_id: command.channel_id, thread_ts: ts, user_id: command.user_id },
    });
    await store.bindThread(command.team_id, command.channel_id, ts, created.id, agent.id);
    return;
  }
  const claim = await store.claim({
    eventId: `command:${command.trigger_id}`,
    teamId: command.team_id,
    channelId: command.channel_id,
    messageTs: ts,
    threadTs: ts,
    userId: command.user_id,
    kind: "command",
    text: prompt || EMPTY_PROMPT,
  });
  if (claim.claimed) await service.process(claim.row.id);
}
