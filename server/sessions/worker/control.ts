/**
 * The handle the worker keeps for a running turn: requests from the API (or another replica via
 * NOTIFY) arrive here and the turn loop reacts. Each request is idempotent.
 */
export class TurnControl {
  interrupted = false;
  stopped = false;
  detached = false;
  private handlers: { interrupt?: () => void; stop?: () => void; detach?: () => void } = {};

  constructor(readonly turnId: string) {}

  on(handlers: { interrupt: () => void; stop: () => void; detach: () => void }) {
    this.handlers = handlers;
    if (this.stopped) handlers.stop();
    else if (this.detached) handlers.detach();
    else if (this.interrupted) handlers.interrupt();
  }

  interrupt() {
    if (this.interrupted || this.stopped) return;
    this.interrupted = true;
    this.handlers.interrupt?.();
  }

  /** Session stopped: end now, append nothing more. */
  stop() {
    if (this.stopped) return;
    this.stopped = true;
    this.handlers.stop?.();
  }

  /** Shutdown: let go of the stream but leave the turn `running` so a restart re-attaches it. */
  detach() {
    if (this.detached) return;
    this.detached = true;
    this.handlers.detach?.();
  }
}
