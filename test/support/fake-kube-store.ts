/**
 * The object store behind the fake Kubernetes API server: one global resourceVersion counter, an event
 * history per store for watch resumption (compactable, to produce `410 Gone`), optimistic concurrency
 * (409 on a stale resourceVersion or an existing name), owner-reference garbage collection, and pod
 * deletion with a grace period (deletionTimestamp first, removal later), as the real API server does.
 */
import { randomUUID } from "node:crypto";

export type Obj = { apiVersion?: string; kind?: string; metadata: any; spec?: any; status?: any };
export type EventType = "ADDED" | "MODIFIED" | "DELETED";
export interface StoreEvent {
  rv: number;
  plural: string;
  type: EventType;
  object: Obj;
}

export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
  toStatus() {
    return { kind: "Status", apiVersion: "v1", status: "Failure", code: this.code, reason: this.reason, message: this.message };
  }
}

const clone = <T>(v: T): T => structuredClone(v);
const keyOf = (ns: string, name: string) => `${ns}/${name}`;

export class FakeKubeStore {
  private rv = 1000;
  private objects = new Map<string, Map<string, Obj>>();
  private history: StoreEvent[] = [];
  /** Watches asking for a resourceVersion older than this get 410 Gone. */
  compactedBelow = 0;
  private listeners = new Set<(ev: StoreEvent) => void>();
  /** Seconds of a grace period map to this many milliseconds (tests want fast terminations). */
  graceMsPerSecond = 5;
  private graceTimers = new Set<ReturnType<typeof setTimeout>>();

  get resourceVersion() {
    return String(this.rv);
  }

  onEvent(fn: (ev: StoreEvent) => void) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private bucket(plural: string) {
    let b = this.objects.get(plural);
    if (!b) this.objects.set(plural, (b = new Map()));
    return b;
  }

  private emit(plural: string, type: EventType, object: Obj) {
    const ev = { rv: this.rv, plural, type, object: clone(object) };
    this.history.push(ev);
    if (this.history.length > 5000) this.history.splice(0, 1000);
    for (const l of this.listeners) l(ev);
  }

  /** Events after `rv` for one resource type, or null when that history was compacted (410). */
  since(plural: string, rv: number): StoreEvent[] | null {
    if (rv < this.compactedBelow) return null;
    return this.history.filter((e) => e.plural === plural && e.rv > rv);
  }

  /** Drops the event history: every older resourceVersion is now "too old". */
  compact() {
    this.history = [];
    this.compactedBelow = this.rv + 1;
  }

  get(plural: string, ns: string, name: string): Obj | undefined {
    const o = this.bucket(plural).get(keyOf(ns, name));
    return o ? clone(o) : undefined;
  }

  list(plural: string, ns: string): Obj[] {
    return [...this.bucket(plural).values()].filter((o) => o.metadata.namespace === ns).map(clone);
  }

  all(plural: string): Obj[] {
    return [...this.bucket(plural).values()].map(clone);
  }

  create(plural: string, ns: string, obj: Obj): Obj {
    const o = clone(obj);
    o.metadata ??= {};
    if (!o.metadata.name && o.metadata.generateName) o.metadata.name = o.metadata.generateName + randomUUID().slice(0, 5);
    if (!o.metadata.name) throw new StatusError(422, "Invalid", "metadata.name: Required value");
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(o.metadata.name) || o.metadata.name.length > 253)
      throw new StatusError(
        422,
        "Invalid",
        `metadata.name: Invalid value: "${o.metadata.name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`,
      );
    const b = this.bucket(plural);
    if (b.has(keyOf(ns, o.metadata.name))) throw new StatusError(409, "AlreadyExists", `${plural} "${o.metadata.name}" already exists`);
    this.rv++;
    o.metadata = {
      ...o.metadata,
      namespace: ns,
      uid: randomUUID(),
      resourceVersion: String(this.rv),
      generation: 1,
      creationTimestamp: new Date().toISOString(),
    };
    b.set(keyOf(ns, o.metadata.name), o);
    this.emit(plural, "ADDED", o);
    return clone(o);
  }

  /** Replace with optimistic concurrency: a resourceVersion in `obj` must match the stored one. */
  update(plural: string, ns: string, obj: Obj, opts: { status?: boolean } = {}): Obj {
    const b = this.bucket(plural);
    const cur = b.get(keyOf(ns, obj.metadata.name));
    if (!cur) throw new StatusError(404, "NotFound", `${plural} "${obj.metadata.name}" not found`);
    if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== cur.metadata.resourceVersion)
      throw new StatusError(
        409,
        "Conflict",
        `Operation cannot be fulfilled on ${plural} "${obj.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    this.rv++;
    const next: Obj = opts.status ? { ...cur, status: clone(obj.status) } : { ...clone(obj), status: cur.status };
    next.metadata = {
      ...next.metadata,
      uid: cur.metadata.uid,
      namespace: ns,
      creationTimestamp: cur.metadata.creationTimestamp,
      resourceVersion: String(this.rv),
    };
    if (!opts.status && JSON.stringify(cur.spec) !== JSON.stringify(next.spec))
      next.metadata.generation = (cur.metadata.generation ?? 1) + 1;
    if (cur.metadata.deletionTimestamp) next.metadata.deletionTimestamp = cur.metadata.deletionTimestamp;
    b.set(keyOf(ns, obj.metadata.name), next);
    this.emit(plural, "MODIFIED", next);
    return clone(next);
  }

  /** Read-modify-write helper for the fake controller and test drivers. */
  mutate(plural: string, ns: string, name: string, fn: (o: Obj) => void, opts: { status?: boolean } = {}): Obj | undefined {
    const o = this.get(plural, ns, name);
    if (!o) return undefined;
    fn(o);
    return this.update(plural, ns, o, opts);
  }

  /**
   * Delete. Pods with a grace period become terminating (deletionTimestamp set) and disappear after it;
   * everything else goes at once. Dependents (ownerReferences) are garbage-collected in the background.
   */
  delete(plural: string, ns: string, name: string, gracePeriodSeconds?: number): Obj {
    const b = this.bucket(plural);
    const cur = b.get(keyOf(ns, name));
    if (!cur) throw new StatusError(404, "NotFound", `${plural} "${name}" not found`);
    const grace = plural === "pods" ? (gracePeriodSeconds ?? cur.spec?.terminationGracePeriodSeconds ?? 30) : 0;
    if (grace > 0) {
      if (!cur.metadata.deletionTimestamp) {
        const updated = this.mutate(plural, ns, name, (o) => {
          o.metadata.deletionTimestamp = new Date(Date.now() + grace * 1000).toISOString();
          o.metadata.deletionGracePeriodSeconds = grace;
        })!;
        const t = setTimeout(() => {
          this.graceTimers.delete(t);
          this.finalize(plural, ns, name);
        }, grace * this.graceMsPerSecond);
        this.graceTimers.add(t);
        return updated;
      }
      return clone(cur);
    }
    return this.finalize(plural, ns, name)!;
  }

  /** Removes the object now (end of a grace period) and collects what it owned. */
  finalize(plural: string, ns: string, name: string): Obj | undefined {
    const b = this.bucket(plural);
    const cur = b.get(keyOf(ns, name));
    if (!cur) return undefined;
    b.delete(keyOf(ns, name));
    this.rv++;
    cur.metadata = { ...cur.metadata, resourceVersion: String(this.rv) };
    this.emit(plural, "DELETED", cur);
    queueMicrotask(() => this.collectDependents(cur.metadata.uid));
    return clone(cur);
  }

  private collectDependents(uid: string) {
    for (const [plural, b] of this.objects)
      for (const o of [...b.values()])
        if ((o.metadata.ownerReferences ?? []).some((r: any) => r.uid === uid)) {
          try {
            this.delete(plural, o.metadata.namespace, o.metadata.name);
          } catch {}
        }
  }

  close() {
    for (const t of this.graceTimers) clearTimeout(t);
    this.graceTimers.clear();
    this.listeners.clear();
  }
}

/** `a=b,c!=d,e,!f` label selectors and `metadata.name=x` field selectors. */
export function matchesSelectors(o: Obj, labelSelector?: string | null, fieldSelector?: string | null): boolean {
  const labels: Record<string, string> = o.metadata.labels ?? {};
  for (const term of (labelSelector ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (term.includes("!=")) {
      const [k, v] = term.split("!=");
      if (labels[k!] === v) return false;
    } else if (term.includes("=")) {
      const [k, v] = term.split(/==?/);
      if (labels[k!] !== v) return false;
    } else if (term.startsWith("!")) {
      if (term.slice(1) in labels) return false;
    } else if (!(term in labels)) return false;
  }
  for (const term of (fieldSelector ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [k, v] = term.split("=");
    const actual =
      k === "metadata.name"
        ? o.metadata.name
        : k === "metadata.namespace"
          ? o.metadata.namespace
          : k === "status.phase"
            ? o.status?.phase
            : undefined;
    if (actual !== v) return false;
  }
  return true;
}
