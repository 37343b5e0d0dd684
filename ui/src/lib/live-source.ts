/**
 * An EventSource that never gives up. The browser retries a dropped connection by itself, but an
 * HTTP error (LAP restarting answers 503 until it is ready; a proxy's 502) closes the source for
 * good. Then this opens a new one, with backoff up to 10 s, from a URL built at that moment (so the
 * caller resumes from its last seq). `onError` runs on every failure, `onOpen` on every connect.
 */
export function openLiveSource(opts: {
  url: () => string;
  events: Record<string, (m: MessageEvent<string>) => void>;
  onOpen?: () => void;
  onError?: () => void;
}): () => void {
  let source: EventSource | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let closed = false;
  const connect = () => {
    source = new EventSource(opts.url());
    source.onopen = () => {
      failures = 0;
      opts.onOpen?.();
    };
    source.onerror = () => {
      opts.onError?.();
      if (source?.readyState !== EventSource.CLOSED || closed) return;
      clearTimeout(retry);
      retry = setTimeout(connect, Math.min(10_000, 500 * 2 ** failures++));
    };
    for (const [type, fn] of Object.entries(opts.events)) source.addEventListener(type, fn as EventListener);
  };
  connect();
  return () => {
    closed = true;
    clearTimeout(retry);
    source?.close();
  };
}
