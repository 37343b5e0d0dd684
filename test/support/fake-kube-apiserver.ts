/**
 * A faithful local stand-in for a Kubernetes API server with kubernetes-sigs/agent-sandbox v1beta1
 * installed (a kind cluster), for tests: there is no cluster here. It serves, over TLS that requires a
 * client certificate signed by the cluster CA, the REST paths and verbs LAP uses:
 *   - agents.x-k8s.io/v1beta1 sandboxes, extensions.agents.x-k8s.io/v1beta1 sandboxtemplates,
 *     sandboxclaims, sandboxwarmpools (+ /status, + /scale on warm pools), core v1 pods and services;
 *   - GET (one, list with labelSelector/fieldSelector), POST, PUT (409 on a stale resourceVersion),
 *     PATCH (application/merge-patch+json), DELETE (pods honour the grace period: terminating first);
 *   - watch=1 streams of newline-delimited JSON from a resourceVersion, BOOKMARK events when
 *     allowWatchBookmarks=true, and an ERROR event with Status 410 when the version was compacted;
 *   - pods/{name}:{port}/proxy/* forwarded to a per-pod supervisor handler the test provides.
 * Status errors use the real `Status` object shape. The controller and kubelet behaviour lives in
 * fake-agent-sandbox-controller.ts; pod state changes are driven by the test through `drive()`.
 */
import { FakeAgentSandboxController, type ControllerOptions, type PodDrive } from "./fake-agent-sandbox-controller";
import { FakeKubeStore, matchesSelectors, StatusError, type Obj, type StoreEvent } from "./fake-kube-store";
import { generateKubeTls, writeKubeconfig, type KubeTls } from "./kube-tls";

const KINDS: Record<string, { group: string; kind: string; subresources: string[] }> = {
  sandboxes: { group: "agents.x-k8s.io/v1beta1", kind: "Sandbox", subresources: ["status"] },
  sandboxtemplates: { group: "extensions.agents.x-k8s.io/v1beta1", kind: "SandboxTemplate", subresources: [] },
  sandboxclaims: { group: "extensions.agents.x-k8s.io/v1beta1", kind: "SandboxClaim", subresources: ["status"] },
  sandboxwarmpools: { group: "extensions.agents.x-k8s.io/v1beta1", kind: "SandboxWarmPool", subresources: ["status", "scale"] },
  pods: { group: "v1", kind: "Pod", subresources: ["status"] },
  services: { group: "v1", kind: "Service", subresources: [] },
};

const PATH = /^\/(?:api\/v1|apis\/([^/]+)\/([^/]+))\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?(\/.*)?$/;

export type SupervisorHandler = (req: Request, path: string) => Response | Promise<Response>;

export interface FakeKubeOptions extends ControllerOptions {
  /** Milliseconds between BOOKMARK events on open watches. */
  bookmarkIntervalMs?: number;
  /** Authenticate by bearer token (an in-cluster service account) instead of a client certificate. */
  bearerToken?: string;
  /** Handler for pods/{name}:{port}/proxy/*, chosen per pod (by uid: a replacement pod gets a new one). */
  supervisorFor?: (pod: Obj) => SupervisorHandler | undefined;
}

export interface FakeKubeApiServer {
  url: string;
  tls: KubeTls;
  kubeconfigPath: string;
  store: FakeKubeStore;
  controller: FakeAgentSandboxController;
  /** Every request the server answered: `METHOD path?query status` (for asserting what LAP did). */
  requests: string[];
  /** `VERB plural` pairs (RBAC verbs: get, list, watch, create, patch, delete) answered 403 Forbidden. */
  forbid: Set<string>;
  drive(podName: string, to: PodDrive, ns?: string): void;
  /** Delete a pod the way `kubectl delete pod --grace-period=N` does. */
  deletePod(podName: string, graceSeconds?: number, ns?: string): void;
  /** Forget the watch history: resuming from an older resourceVersion now gets 410 Gone. */
  compact(): void;
  objects(plural: string, ns?: string): Obj[];
  activeWatches(): number;
  close(): Promise<void>;
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
const statusResponse = (e: StatusError) => json(e.toStatus(), e.code);

function mergePatch(target: any, patch: any): any {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const out = target && typeof target === "object" && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export async function startFakeKubeApiServer(opts: FakeKubeOptions = {}): Promise<FakeKubeApiServer> {
  const tls = generateKubeTls();
  const store = new FakeKubeStore();
  const controller = new FakeAgentSandboxController(store, opts);
  const requests: string[] = [];
  const watches = new Set<() => void>();
  const supervisors = new Map<string, SupervisorHandler | undefined>();

  function openWatch(plural: string, ns: string, url: URL, signal: AbortSignal): Response {
    const fromRv = Number(url.searchParams.get("resourceVersion") || store.resourceVersion);
    const bookmarks = url.searchParams.get("allowWatchBookmarks") === "true";
    const label = url.searchParams.get("labelSelector");
    const field = url.searchParams.get("fieldSelector");
    const timeoutSeconds = Number(url.searchParams.get("timeoutSeconds") || 0);
    const encoder = new TextEncoder();
    let cleanup = () => {};
    const stream = new ReadableStream<Uint8Array>({
      start(ctrl) {
        let closed = false;
        const send = (o: unknown) => !closed && ctrl.enqueue(encoder.encode(`${JSON.stringify(o)}\n`));
        const close = () => {
          if (closed) return;
          closed = true;
          cleanup();
          try {
            ctrl.close();
          } catch {}
        };
        const relevant = (ev: StoreEvent) =>
          ev.plural === plural && ev.object.metadata.namespace === ns && matchesSelectors(ev.object, label, field);
        const backlog = store.since(plural, fromRv);
        if (backlog === null) {
          send({
            type: "ERROR",
            object: {
              kind: "Status",
              apiVersion: "v1",
              status: "Failure",
              code: 410,
              reason: "Expired",
              message: `too old resource version: ${fromRv} (${store.compactedBelow})`,
            },
          });
          queueMicrotask(close);
          return;
        }
        for (const ev of backlog) if (relevant(ev)) send({ type: ev.type, object: ev.object });
        const off = store.onEvent((ev) => relevant(ev) && send({ type: ev.type, object: ev.object }));
        const bm = bookmarks
          ? setInterval(
              () =>
                send({
                  type: "BOOKMARK",
                  object: {
                    kind: KINDS[plural]!.kind,
                    apiVersion: KINDS[plural]!.group,
                    metadata: { resourceVersion: store.resourceVersion },
                  },
                }),
              opts.bookmarkIntervalMs ?? 100,
            )
          : undefined;
        const to = timeoutSeconds ? setTimeout(close, timeoutSeconds * 1000) : undefined;
        const kill = () => {
          send({
            type: "ERROR",
            object: {
              kind: "Status",
              apiVersion: "v1",
              status: "Failure",
              code: 410,
              reason: "Expired",
              message: "watch history compacted",
            },
          });
          close();
        };
        watches.add(kill);
        cleanup = () => {
          off();
          if (bm) clearInterval(bm);
          if (to) clearTimeout(to);
          watches.delete(kill);
        };
        signal.addEventListener("abort", close);
      },
      cancel() {
        cleanup();
      },
    });
    return new Response(stream, { headers: { "content-type": "application/json", "transfer-encoding": "chunked" } });
  }

  async function proxy(req: Request, ns: string, target: string, rest: string): Promise<Response> {
    const podName = target.split(":")[0]!;
    const pod = store.get("pods", ns, podName);
    if (!pod) throw new StatusError(404, "NotFound", `pods "${podName}" not found`);
    if (!pod.status?.podIP || pod.metadata.deletionTimestamp)
      throw new StatusError(503, "ServiceUnavailable", `error trying to reach service: dial tcp: connect: connection refused`);
    if (!supervisors.has(pod.metadata.uid)) supervisors.set(pod.metadata.uid, opts.supervisorFor?.(pod));
    const handler = supervisors.get(pod.metadata.uid);
    if (!handler) throw new StatusError(503, "ServiceUnavailable", "error trying to reach service: connection refused");
    return handler(req, rest || "/");
  }

  const forbid = new Set<string>();
  const verbOf = (method: string, named: boolean, url: URL) =>
    method === "GET"
      ? named
        ? "get"
        : url.searchParams.get("watch")
          ? "watch"
          : "list"
      : (({ POST: "create", PUT: "update", PATCH: "patch", DELETE: "delete" } as Record<string, string>)[method] ?? method);

  async function handle(req: Request, signal: AbortSignal): Promise<Response> {
    const url = new URL(req.url);
    const m = PATH.exec(url.pathname);
    if (!m) throw new StatusError(404, "NotFound", `the server could not find the requested resource (${url.pathname})`);
    const [, group, version, ns, plural, rawName, sub, rest] = m as unknown as [
      string,
      string | undefined,
      string | undefined,
      string,
      string,
      string | undefined,
      string | undefined,
      string | undefined,
    ];
    const name = rawName === undefined ? undefined : decodeURIComponent(rawName);
    const kind = KINDS[plural];
    const apiVersion = group ? `${group}/${version}` : "v1";
    if (!kind || kind.group !== apiVersion)
      throw new StatusError(404, "NotFound", `the server could not find the requested resource (${apiVersion} ${plural})`);
    const verb = verbOf(req.method, Boolean(name), url);
    if (forbid.has(`${verb} ${plural}`))
      throw new StatusError(
        403,
        "Forbidden",
        `${plural} is forbidden: User "system:serviceaccount:${ns}:lap" cannot ${verb} resource "${plural}" in API group "${group ?? ""}" in the namespace "${ns}"`,
      );
    if (plural === "pods" && name && sub === "proxy") return proxy(req, ns, name, rest ?? "/");
    if (sub && !kind.subresources.includes(sub)) throw new StatusError(404, "NotFound", `${plural}/${sub} not found`);
    const body = async () => {
      try {
        return (await req.json()) as any;
      } catch {
        throw new StatusError(400, "BadRequest", "the body of the request was in an unknown format");
      }
    };
    switch (req.method) {
      case "GET": {
        if (!name) {
          if (url.searchParams.get("watch") === "1" || url.searchParams.get("watch") === "true") return openWatch(plural, ns, url, signal);
          const items = store
            .list(plural, ns)
            .filter((o) => matchesSelectors(o, url.searchParams.get("labelSelector"), url.searchParams.get("fieldSelector")));
          return json({ kind: `${kind.kind}List`, apiVersion, metadata: { resourceVersion: store.resourceVersion }, items });
        }
        const obj = store.get(plural, ns, name);
        if (!obj) throw new StatusError(404, "NotFound", `${plural} "${name}" not found`);
        if (sub === "scale")
          return json({
            kind: "Scale",
            apiVersion: "autoscaling/v1",
            metadata: obj.metadata,
            spec: { replicas: obj.spec?.replicas ?? 1 },
            status: { replicas: obj.status?.replicas ?? 0, selector: obj.status?.selector },
          });
        return json(obj);
      }
      case "POST": {
        if (name) throw new StatusError(405, "MethodNotAllowed", "POST to a named resource");
        const b = await body();
        if (b.kind && b.kind !== kind.kind) throw new StatusError(400, "BadRequest", `kind ${b.kind} does not match ${kind.kind}`);
        if (plural === "sandboxclaims" && !b.spec?.warmPoolRef?.name)
          throw new StatusError(422, "Invalid", "spec.warmPoolRef.name: Required value");
        return json(store.create(plural, ns, { ...b, apiVersion, kind: kind.kind }), 201);
      }
      case "PUT": {
        if (!name) throw new StatusError(405, "MethodNotAllowed", "PUT needs a name");
        const b = await body();
        return json(store.update(plural, ns, { ...b, metadata: { ...b.metadata, name } }, { status: sub === "status" }));
      }
      case "PATCH": {
        if (!name) throw new StatusError(405, "MethodNotAllowed", "PATCH needs a name");
        const ct = req.headers.get("content-type") ?? "";
        if (!ct.startsWith("application/merge-patch+json"))
          throw new StatusError(
            415,
            "UnsupportedMediaType",
            `the body of the request was in an unknown format - accepted media types include: application/merge-patch+json`,
          );
        const cur = store.get(plural, ns, name);
        if (!cur) throw new StatusError(404, "NotFound", `${plural} "${name}" not found`);
        const patch = await body();
        if (sub === "scale") return json(store.update(plural, ns, { ...cur, spec: { ...cur.spec, replicas: patch.spec?.replicas } }));
        const next = mergePatch(cur, patch);
        return json(store.update(plural, ns, next, { status: sub === "status" }));
      }
      case "DELETE": {
        if (!name) throw new StatusError(405, "MethodNotAllowed", "collection delete is not served");
        const b = req.headers.get("content-length") !== "0" ? await req.json().catch(() => ({})) : {};
        const grace = url.searchParams.get("gracePeriodSeconds") ?? (b as any)?.gracePeriodSeconds;
        return json(store.delete(plural, ns, name, grace === undefined || grace === null ? undefined : Number(grace)));
      }
    }
    throw new StatusError(405, "MethodNotAllowed", `${req.method} is not allowed`);
  }

  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    tls: opts.bearerToken
      ? { cert: tls.serverCert, key: tls.serverKey }
      : { cert: tls.serverCert, key: tls.serverKey, ca: tls.ca, requestCert: true, rejectUnauthorized: true },
    async fetch(req) {
      const url = new URL(req.url);
      let res: Response;
      try {
        if (opts.bearerToken && req.headers.get("authorization") !== `Bearer ${opts.bearerToken}`)
          throw new StatusError(401, "Unauthorized", "Unauthorized");
        res = await handle(req, req.signal);
      } catch (err) {
        res = err instanceof StatusError ? statusResponse(err) : statusResponse(new StatusError(500, "InternalError", String(err)));
      }
      requests.push(`${req.method} ${url.pathname}${url.search} ${res.status}`);
      return res;
    },
  });
  const url = `https://127.0.0.1:${server.port}`;
  return {
    url,
    tls,
    kubeconfigPath: writeKubeconfig(tls, url),
    store,
    controller,
    requests,
    forbid,
    drive: (podName, to, ns = "default") => controller.drive(ns, podName, to),
    deletePod: (podName, graceSeconds, ns = "default") => void store.delete("pods", ns, podName, graceSeconds),
    compact() {
      store.compact();
      for (const kill of [...watches]) kill();
    },
    objects: (plural, ns = "default") => store.list(plural, ns),
    activeWatches: () => watches.size,
    async close() {
      for (const kill of [...watches]) kill();
      controller.close();
      store.close();
      server.stop(true);
      tls.cleanup();
    },
  };
}
