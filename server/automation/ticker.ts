import type { Logger } from "../lib/logger";

/**
 * Runs `tick` every `intervalMs`, never two at once, logging (not throwing) failures. Every replica
 * runs its own; what a tick does is made safe across replicas by the database (claims, row locks).
 */
export class Ticker {
  private timer?: ReturnType<typeof setInterval>;
  private running?: Promise<void>;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly tick: () => Promise<unknown>,
    private readonly log: Logger,
  ) {}

  start() {
    if (this.timer) return;
    this.timer = setInterval(() => this.once(), this.intervalMs);
    this.once();
  }

  private once() {
    if (this.running) return;
    this.running = this.tick()
      .then(() => undefined)
      .catch((err) => this.log.warn({ err, loop: this.name }, "background loop tick failed"))
      .finally(() => (this.running = undefined));
  }

  /** Stops ticking and waits for a tick in progress. */
  async stop() {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
