/** A clock tests set and advance by hand (schedules, webhook timestamps, callback retries). */
import type { Clock } from "../../server/automation/clock";

export class ManualClock implements Clock {
  private t: number;
  constructor(start: string | Date) {
    this.t = new Date(start).getTime();
  }
  now() {
    return new Date(this.t);
  }
  set(at: string | Date) {
    this.t = new Date(at).getTime();
  }
  advance(ms: number) {
    this.t += ms;
  }
}
