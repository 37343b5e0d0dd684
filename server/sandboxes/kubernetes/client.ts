import type { KubeAccess } from "./kubeconfig";
import { apiVersionOf, resourcePath, type KubeList, type KubeObject, type ResourceKind } from "./resources";

/**
 * A small Kubernetes REST client on Bun's fetch: CRUD, JSON merge patch, and list+watch that resumes
 * from `resourceVersion`, consumes BOOKMARKs and re-lists on `410 Gone`. Only what LAP uses.
 */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
  get notFound() {
    return this.status === 404;
  }
  get conflict() {
    return this.status === 409;
  }
}

export type WatchEvent<T extends KubeObject = KubeObject> =
  | { type: "ADDED" | "MODIFIED" | "DELETED"; object: T }
  /** After a `410 Gone` (or first connect) the full current list; consumers reconcile against it. */
  | { type: "RELISTED"; items: T[] };

export interface Selectors {
  labelSelector?: string;
  fieldSelector?: string;
}

export interface WatchOptions extends Selectors {
  signal?: AbortSignal;
  /** Called for every bookmark (tests and metrics). */
  onBookmark?: (resourceVersion: string) => void;
  /** Server-side timeout of one watch request; the client reconnects from the last resourceVersion. */
  timeoutSeconds?: number;
}

const query = (params: Record<string, string | number | boolean | undefined>) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
};

export class KubeClient {
  constructor(private readonly access: KubeAccess) {}

  get server() {
    return this.access.server;
  }

  /** One HTTP call with the cluster's TLS material. Non-2xx become KubeApiError with the Status reason. */
  async raw(
    method: string,
    path: string,
    init: { body?: unknown; contentType?: string; signal?: AbortSignal; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { accept: "application/json", ...(await this.access.headers()), ...init.headers };
    let body: string | undefined;
    if (init.body !== undefined) {
      body = typeof init.body === "string" ? init.body : JSON.stringify(init.body);
      headers["content-type"] = init.contentType ?? "application/json";
    }
    return fetch(`${this.access.server}${path}`, { method, headers, body, signal: init.signal, tls: this.access.tls } as RequestInit);
  }

  async request<T>(method: string, path: string, init: { body?: unknown; contentType?: string; signal?: AbortSignal } = {}): Promise<T> {
    const res = await this.raw(method, path, init);
    const text = await res.text();
    if (!res.ok) throw errorFrom(res.status, text, `${method} ${path}`);
    return (text ? JSON.parse(text) : {}) as T;
  }

  get<T extends KubeObject>(k: ResourceKind, ns: string, name: string) {
    return this.request<T>("GET", resourcePath(k, ns, name));
  }

  /** GET that answers null instead of throwing on 404. */
  async find<T extends KubeObject>(k: ResourceKind, ns: string, name: string): Promise<T | null> {
    try {
      return await this.get<T>(k, ns, name);
    } catch (err) {
      if (err instanceof KubeApiError && err.notFound) return null;
      throw err;
    }
  }

  list<T extends KubeObject>(k: ResourceKind, ns: string, sel: Selectors = {}) {
    return this.request<KubeList<T>>("GET", resourcePath(k, ns) + query({ ...sel }));
  }

  create<T extends KubeObject>(k: ResourceKind, ns: string, obj: Omit<T, "apiVersion" | "kind"> & Partial<KubeObject>) {
    return this.request<T>("POST", resourcePath(k, ns), { body: { apiVersion: apiVersionOf(k), kind: k.kind, ...obj } });
  }

  /** JSON merge patch (RFC 7386); `sub` targets a subresource such as `status` or `scale`. */
  mergePatch<T extends KubeObject>(k: ResourceKind, ns: string, name: string, patch: unknown, sub?: string) {
    return this.request<T>("PATCH", resourcePath(k, ns, name, sub), { body: patch, contentType: "application/merge-patch+json" });
  }

  /** Delete; already gone counts as deleted. `foreground` waits for dependents in the API server. */
  async delete(
    k: ResourceKind,
    ns: string,
    name: string,
    opts: { gracePeriodSeconds?: number; propagation?: "Foreground" | "Background" } = {},
  ): Promise<boolean> {
    try {
      await this.request("DELETE", resourcePath(k, ns, name), {
        body: {
          kind: "DeleteOptions",
          apiVersion: "v1",
          gracePeriodSeconds: opts.gracePeriodSeconds,
          propagationPolicy: opts.propagation ?? "Background",
        },
      });
      return true;
    } catch (err) {
      if (err instanceof KubeApiError && err.notFound) return false;
      throw err;
    }
  }

  /**
   * List, then watch from the list's resourceVersion, forever (until the signal aborts).
   * Yields RELISTED with the full list first and after every `410 Gone`; reconnects after a
   * stream ends or a network error, resuming from the last seen resourceVersion (bookmarks included).
   */
  async *watch<T extends KubeObject>(k: ResourceKind, ns: string, opts: WatchOptions = {}): AsyncGenerator<WatchEvent<T>> {
    let rv: string | undefined;
    let backoff = 100;
    while (!opts.signal?.aborted) {
      try {
        if (rv === undefined) {
          const list = await this.list<T>(k, ns, opts);
          rv = list.metadata.resourceVersion;
          yield { type: "RELISTED", items: list.items };
        }
        const path =
          resourcePath(k, ns) +
          query({
            watch: 1,
            allowWatchBookmarks: true,
            resourceVersion: rv,
            labelSelector: opts.labelSelector,
            fieldSelector: opts.fieldSelector,
            timeoutSeconds: opts.timeoutSeconds,
          });
        const res = await this.raw("GET", path, { signal: opts.signal });
        if (res.status === 410) {
          await res.body?.cancel();
          rv = undefined;
          continue;
        }
        if (!res.ok) throw errorFrom(res.status, await res.text(), `watch ${k.plural}`);
        backoff = 100;
        for await (const line of ndjsonLines(res)) {
          // biome-ignore lint/suspicious/noExplicitAny: a watch event carries any Kubernetes object; callers narrow by kind
          const ev = JSON.parse(line) as { type: string; object: any };
          if (ev.type === "ERROR") {
            // The API server reports an expired resourceVersion as an ERROR event carrying Status 410.
            if (ev.object?.code === 410) rv = undefined;
            else throw new KubeApiError(ev.object?.code ?? 500, ev.object?.reason ?? "WatchError", ev.object?.message ?? "watch error");
            break;
          }
          const objRv = ev.object?.metadata?.resourceVersion as string | undefined;
          if (objRv) rv = objRv;
          if (ev.type === "BOOKMARK") {
            if (objRv) opts.onBookmark?.(objRv);
            continue;
          }
          if (ev.type === "ADDED" || ev.type === "MODIFIED" || ev.type === "DELETED") yield { type: ev.type, object: ev.object as T };
        }
      } catch (err) {
        if (opts.signal?.aborted) return;
        if (err instanceof KubeApiError && (err.status === 401 || err.status === 403 || err.status === 404)) throw err;
        await Bun.sleep(backoff);
        backoff = Math.min(backoff * 2, 5_000);
      }
    }
  }
}

function errorFrom(status: number, text: string, what: string): KubeApiError {
  try {
    const s = JSON.parse(text) as { reason?: string; message?: string };
    return new KubeApiError(status, s.reason ?? "Unknown", s.message ?? `${what}: HTTP ${status}`);
  } catch {
    return new KubeApiError(status, "Unknown", `${what}: HTTP ${status} ${text.slice(0, 200)}`);
  }
}

async function* ndjsonLines(res: Response): AsyncGenerator<string> {
  if (!res.body) return;
  const decoder = new TextDecoder();
  let buf = "";
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) yield line;
    }
  }
  if (buf.trim()) yield buf.trim();
}
