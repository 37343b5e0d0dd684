import { createSignal, onCleanup } from "solid-js";
import { api, type SessionStatusChange } from "./api";
import { openLiveSource } from "./live-source";

export type LiveState = "connecting" | "live" | "polling";

/**
 * Subscribes a component to session status changes over SSE. `onOpen` runs on every (re)connect:
 * the stream has no replay, so the caller re-reads its list then. While the stream is down the
 * caller's `poll` runs every `pollMs` (the source keeps reconnecting meanwhile), so the list never
 * goes stale: push when it can, polling when it must.
 */
export function createSessionStatusStream(opts: {
  agentId?: string;
  onChange: (change: SessionStatusChange) => void;
  onOpen: () => void;
  poll: () => void;
  pollMs?: number;
}) {
  const [state, setState] = createSignal<LiveState>("connecting");
  let pollTimer: ReturnType<typeof setInterval> | undefined;
  const startPolling = () => {
    setState("polling");
    pollTimer ??= setInterval(opts.poll, opts.pollMs ?? 5_000);
  };
  const stopPolling = () => {
    clearInterval(pollTimer);
    pollTimer = undefined;
  };
  if (typeof EventSource === "undefined") {
    startPolling();
    onCleanup(stopPolling);
    return state;
  }
  const close = openLiveSource({
    url: () => api.sessions.statusStreamUrl(opts.agentId),
    events: {
      status: (m) => {
        try {
          opts.onChange(JSON.parse(m.data) as SessionStatusChange);
        } catch {}
      },
    },
    onOpen: () => {
      stopPolling();
      setState("live");
      opts.onOpen();
    },
    onError: startPolling,
  });
  onCleanup(() => {
    close();
    stopPolling();
  });
  return state;
}
