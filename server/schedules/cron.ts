/**
 * Cron expressions in an IANA time zone, through croner (docs/schedules.md "Time zones and DST").
 * croner follows Vixie cron across DST changes: a fixed time that does not exist (spring forward,
 * 02:30) runs at the first valid time after the gap on the same day; a fixed time that happens
 * twice (fall back) runs once, at the first occurrence; interval expressions (a step, range, list
 * or `*` in the minute or hour) keep their real-time rhythm. Slots are instants: the scheduler
 * claims each one by its UTC time.
 */
import { Cron } from "croner";

const compiled = new Map<string, Cron>();

function compile(expression: string, timezone: string): Cron {
  const key = `${timezone}\n${expression}`;
  let cron = compiled.get(key);
  if (!cron) {
    // Five fields (minute resolution) or a nickname (@daily); paused: croner only computes here, never runs anything.
    cron = new Cron(expression, { timezone, paused: true, mode: "5-part" });
    if (compiled.size >= 1000) compiled.clear();
    compiled.set(key, cron);
  }
  return cron;
}

/** The IANA name as the runtime spells it, or null when it is not a time zone this runtime knows. */
export function canonicalTimezone(name: string): string | null {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(name)) return null;
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/** Why an expression cannot be scheduled, or null. Checked at the edge (400 naming `cron`). */
export function cronProblem(expression: string, timezone = "UTC", now = new Date()): string | null {
  const fields = expression.trim().split(/\s+/);
  if (!expression.trim().startsWith("@") && fields.length !== 5) {
    return `needs 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}: for example "0 9 * * MON-FRI"`;
  }
  let cron: Cron;
  try {
    cron = compile(expression.trim(), canonicalTimezone(timezone) ?? "UTC");
  } catch (err) {
    return (err as Error).message.replace(/^CronPattern:\s*/, "");
  }
  if (!cron.nextRun(now)) return "never matches a date (for example February 30)";
  return null;
}

export class CronSchedule {
  private readonly cron: Cron;

  constructor(expression: string, timezone: string) {
    this.cron = compile(expression.trim(), timezone);
  }

  /** The first slot strictly after `after`; null if there is none. */
  next(after: Date): Date | null {
    return this.cron.nextRun(after);
  }

  nextRuns(count: number, after: Date): Date[] {
    return this.cron.nextRuns(count, after);
  }

  /** The latest slot at or before `now`, or null. */
  latestAtOrBefore(now: Date): Date | null {
    // croner looks strictly before its reference, at whole seconds; slots are whole minutes, so
    // the next whole second after `now` includes a slot at exactly `now` and nothing later.
    const ref = new Date(Math.floor(now.getTime() / 1000) * 1000 + 1000);
    const [latest] = this.cron.previousRuns(1, ref);
    return latest && latest.getTime() <= now.getTime() ? latest : null;
  }
}
