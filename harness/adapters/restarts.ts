// A model call a CLI tried again after it was cut mid-response: LAP was killed and started again
// while the CLI streamed its reply through LAP's gateway (docs/sessions.md "A LAP restart on local
// sandboxes"). Claude Code (`api_retry`), Codex (`error` with `willRetry`) and opencode
// (`session.status` `retry`) say so; the text the broken attempt had streamed is then followed by
// an `agent.message` with `restarted`, so LAP stores the message from the attempt that finished
// (server/sessions/events/messages.ts), as it does for the built-in agent.
import { events as ev, type HarnessEvent } from "./types.ts";

export class RetriedResponses {
  /** Reply text was streamed since the last message ended. */
  private streamed = false;
  private attempt = 0;

  /** Watches what the adapter emits: reply text opens a message, any other event but thinking closes it. */
  seen(event: HarnessEvent): void {
    if (event.type === "agent.message") this.streamed ||= event.content.some((part) => part.text.length > 0);
    else if (event.type !== "agent.thinking") this.streamed = false;
  }

  /** The CLI's message ended whole (its own end of a response). */
  ended(): void {
    this.streamed = false;
  }

  /** The CLI is trying its model call again: the marker when the cut attempt had streamed text. */
  retried(reason: string): HarnessEvent[] {
    if (!this.streamed) return [];
    this.streamed = false;
    this.attempt += 1;
    return [ev.restarted(reason, this.attempt)];
  }
}
