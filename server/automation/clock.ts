/** What time it is, injected so tests can drive schedules and retries without waiting (docs/schedules.md). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
