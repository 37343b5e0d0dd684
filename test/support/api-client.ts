// Talks to a LAP under test the way a user does: JSON over HTTP with a key. `baseUrl` is read per
// call because tests start LAP in beforeAll, after the client is made.
export type ApiResponse<T> = { status: number; body: T };
export type SessionEvent = { seq: number; type: string; data: Record<string, unknown>; turn_id: string | null };

export function lapClient(baseUrl: () => string, key: string) {
  const api = async <T = any>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> => {
    const res = await fetch(`${baseUrl()}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as T) : (null as T) };
  };
  /** The session's stored events, oldest first. */
  const events = async (sessionId: string) =>
    (await api<{ data: SessionEvent[] }>("GET", `/api/sessions/${sessionId}/events?limit=1000`)).body.data;
  return { api, events };
}

/** Polls `check` until it is truthy, or fails naming `what` after `ms`. */
export async function waitFor(what: string, check: () => Promise<unknown> | unknown, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await Bun.sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}
