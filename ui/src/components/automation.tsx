import { A } from "@solidjs/router";
import { Show } from "solid-js";

/** Outcome of a schedule run or a webhook delivery, as a badge. */
export function OutcomeBadge(props: { status: string }) {
  const cls = () =>
    (
      ({
        completed: "ok",
        failed: "err",
        interrupted: "warn",
        running: "accent",
        queued: "accent",
        pending: "accent",
        delivered: "ok",
      }) as Record<string, string>
    )[props.status] ?? "";
  return <span class={`badge ${cls()}`}>{props.status}</span>;
}

export function SessionLink(props: { id: string | null }) {
  return (
    <Show when={props.id} fallback={<span class="muted">none</span>}>
      {(id) => (
        <A class="mono" href={`/sessions/${id()}`}>
          {id()}
        </A>
      )}
    </Show>
  );
}

/** An instant as it reads on the wall clock of `timeZone` (a schedule's), with the zone's name. */
export function wallClock(iso: string, timeZone: string) {
  return new Date(iso).toLocaleString(undefined, {
    timeZone,
    weekday: "short",
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZoneName: "short",
  });
}

export const usd = (n: number) => `$${n.toFixed(n > 0 && n < 0.01 ? 4 : 2)}`;

/** A resource whose refetches keep showing the rows (no skeleton flash every poll). */
export function quietRefresh<T>(r: { (): T | undefined; state: string; error: unknown }) {
  return Object.assign(() => r(), {
    get loading() {
      return r.state === "pending";
    },
    get error() {
      return r.error;
    },
  });
}
