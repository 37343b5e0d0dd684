// The one fetch wrapper every API call goes through: JSON in and out, LAP's error envelope as ApiError.
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: { field: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/** Called when any request comes back 401, so the app can send the user to the login page. */
let onUnauthorized: () => void = () => {};
export const setUnauthorizedHandler = (fn: () => void) => (onUnauthorized = fn);

/**
 * The team the dashboard shows (the team switcher): sent as `x-lap-team` on every call, so lists hold
 * only that team's things and new ones go there (server/auth/policy.ts). Empty: all the caller's teams.
 */
const TEAM_KEY = "lap.team";
export const currentTeam = (): string => (typeof localStorage === "undefined" ? "" : (localStorage.getItem(TEAM_KEY) ?? ""));
export const setCurrentTeam = (id: string) => (id ? localStorage.setItem(TEAM_KEY, id) : localStorage.removeItem(TEAM_KEY));

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  const headers: Record<string, string> = body === undefined ? {} : { "content-type": "application/json" };
  if (currentTeam()) headers["x-lap-team"] = currentTeam();
  try {
    res = await fetch(path, {
      method,
      credentials: "same-origin",
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network", "LAP is not reachable. Is `npm start` still running?");
  }
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) {
    if (res.status === 401 && !path.endsWith("/login")) onUnauthorized();
    const err = json?.error ?? {};
    throw new ApiError(res.status, err.code ?? "http_error", err.message ?? `HTTP ${res.status}`, err.fields);
  }
  return json as T;
}

/** A query string from the defined, non-empty params ("" when there are none). */
export const q = (params: Record<string, string | number | undefined>) => {
  const s = new URLSearchParams(
    Object.entries(params)
      .filter(([, v]) => v !== undefined && v !== "")
      .map(([k, v]) => [k, String(v)]),
  );
  return s.size ? `?${s}` : "";
};
