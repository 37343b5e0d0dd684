/**
 * The supervisor's HTTP API on its Unix socket, in the Managed Agents shape LAP drives every runtime
 * with (reference lap-rust-core §3.2), plus LAP extensions: `POST /lap/prepare` (a warm sandbox starts
 * the harness it expects to serve, ./binding.ts), `POST /lap/bind` (late binding of a warm sandbox to a
 * session), `POST /v1/sessions/:id/history` (replay after a recovery) and `/lap/files…` (the workspace's
 * files for a LAP that cannot read the sandbox's disk, ./files.ts).
 * Every call but /health needs `x-api-key` (or Bearer) = the token LAP left in /run/lap/token.
 */
import { z } from "zod";
import type { NormalizedEvent } from "../protocol";
import { TERMINAL_EVENTS } from "../protocol";
import { bindBody, prepareBody } from "./binding";
import { handleFiles } from "./files";
import type { Supervisor } from "./supervisor";

/** What LAP's kubernetes provider sends (docs/kubernetes.md, "Supervisor contract"): the binding plus the token it chose. */
const bindRequest = bindBody.extend({
  supervisorToken: z.string().min(16).max(512).optional(),
  sandboxId: z.string().optional(),
  harness: z.string().optional(),
  workspaceId: z.string().optional(),
});

/** The same for a warm pod's pre-start (docs/kubernetes.md "Warm pool"): the token may come with it. */
const prepareRequest = prepareBody.extend({
  supervisorToken: z.string().min(16).max(512).optional(),
  sandboxId: z.string().optional(),
  harness: z.string().optional(),
  workspaceId: z.string().optional(),
});

const textPart = z.object({ type: z.literal("text"), text: z.string() });
// LAP checked an attachment's bytes and limits before storing it (docs/security.md "Attachments"); here only the shape.
const base64Source = z.object({
  type: z.literal("base64"),
  media_type: z.string().regex(/^(image\/(png|jpeg|gif|webp)|application\/pdf|text\/plain)$/),
  data: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/),
});
const contentPart = z.discriminatedUnion("type", [
  textPart,
  z.object({ type: z.literal("image"), source: base64Source }),
  z.object({ type: z.literal("document"), source: base64Source, title: z.string().max(200).optional() }),
]);
const eventsBody = z.object({
  events: z
    .array(
      z.discriminatedUnion("type", [
        z.object({ type: z.literal("user.message"), content: z.array(contentPart).min(1) }),
        z.object({ type: z.literal("user.interrupt") }),
        z.object({
          type: z.literal("user.tool_confirmation"),
          tool_use_id: z.string().min(1).max(200),
          result: z.enum(["allow", "deny"]),
          deny_message: z.string().max(10_000).optional(),
        }),
      ]),
    )
    .min(1),
});
const historyBody = z.object({ events: z.array(z.object({ type: z.string() }).passthrough()) });

const json = (body: unknown, status = 200) => Response.json(body, { status });
const fail = (status: number, message: string, fields?: { field: string; message: string }[]) =>
  json(
    { type: "error", error: { type: status === 400 ? "invalid_request_error" : "error", message, ...(fields ? { fields } : {}) } },
    status,
  );

async function parse<T>(req: Request, schema: z.ZodType<T>): Promise<{ ok: true; data: T } | { ok: false; res: Response }> {
  let body: unknown;
  try {
    body = await req.json();
  } catch {
    return { ok: false, res: fail(400, "body must be JSON") };
  }
  const r = schema.safeParse(body);
  if (r.success) return { ok: true, data: r.data };
  const fields = r.error.issues.map((i) => ({ field: i.path.join(".") || "(body)", message: i.message }));
  return { ok: false, res: fail(400, `invalid ${fields.map((f) => f.field).join(", ")}`, fields) };
}

function sse(sup: Supervisor, after: number, signal: AbortSignal, untilTerminal: boolean): Response {
  const enc = new TextEncoder();
  let unsubscribe = () => {};
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        unsubscribe();
        clearInterval(heartbeat);
        try {
          controller.close();
        } catch {}
      };
      const send = (e: NormalizedEvent & { seq: number }) => {
        if (closed) return;
        controller.enqueue(enc.encode(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`));
        if (untilTerminal && TERMINAL_EVENTS.has(e.type)) close();
      };
      // Subscribe first, then replay: an event appended in between is sent once (seq dedupe).
      let last = after;
      unsubscribe = sup.log.subscribe((e) => {
        if (e.seq > last) {
          last = e.seq;
          send(e);
        }
      });
      for (const e of sup.log.after(after)) {
        if (e.seq > last) {
          last = e.seq;
          send(e);
        }
      }
      heartbeat = setInterval(() => !closed && controller.enqueue(enc.encode(": ping\n\n")), 5_000);
      signal.addEventListener("abort", close, { once: true });
    },
    cancel() {
      unsubscribe();
      clearInterval(heartbeat);
    },
  });
  return new Response(stream, { headers: { "content-type": "text/event-stream", "cache-control": "no-store" } });
}

export function createHandler(sup: Supervisor) {
  return async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const path = url.pathname;
    if (req.method === "GET" && (path === "/health" || path === "/healthz")) return json(sup.health());
    const key = req.headers.get("x-api-key") ?? req.headers.get("authorization")?.replace(/^Bearer\s+/i, "");
    // First-bind mode: before the token is known only /lap/bind and /lap/prepare are served, and the first must bring the token.
    const firstBind = sup.awaitingToken && req.method === "POST" && (path === "/lap/bind" || path === "/lap/prepare");
    if (!firstBind && !sup.checkToken(key)) return fail(401, "missing or wrong supervisor token");

    if (req.method === "POST" && path === "/lap/bind") {
      const p = await parse(req, bindRequest);
      if (!p.ok) return p.res;
      const { supervisorToken, sandboxId: _s, harness: _h, workspaceId: _w, ...binding } = p.data;
      if (firstBind) {
        if (!supervisorToken)
          return fail(400, "supervisorToken is required: this supervisor was started without LAP_SUPERVISOR_TOKEN_FILE", [
            { field: "supervisorToken", message: "Required" },
          ]);
        if (!sup.awaitingToken) return fail(401, "missing or wrong supervisor token"); // a concurrent first bind won
        sup.adoptToken(supervisorToken);
      }
      const r = sup.bind(binding);
      return r.ok ? json({ ok: true, session_id: binding.sessionId, kept: r.kept }) : fail(409, r.error);
    }
    if (path === "/lap/files" || path.startsWith("/lap/files/")) return handleFiles(req, url, sup.workspace, fail);
    if (req.method === "POST" && path === "/lap/prepare") {
      const p = await parse(req, prepareRequest);
      if (!p.ok) return p.res;
      const { supervisorToken, sandboxId: _s, harness: _h, workspaceId: _w, ...preparation } = p.data;
      if (firstBind) {
        if (!supervisorToken)
          return fail(400, "supervisorToken is required: this supervisor was started without LAP_SUPERVISOR_TOKEN_FILE", [
            { field: "supervisorToken", message: "Required" },
          ]);
        if (!sup.awaitingToken) return fail(401, "missing or wrong supervisor token");
        sup.adoptToken(supervisorToken);
      }
      const r = await sup.prepare(preparation);
      return r.ok ? json({ ok: true, harness: r.state }) : fail(409, r.error);
    }
    if (req.method === "GET" && path === "/v1/models") return json({ data: sup.binding ? [{ id: sup.binding.model, type: "model" }] : [] });
    if (req.method === "POST" && path === "/v1/agents") return json({ id: sup.binding?.agentId ?? "unbound", type: "agent" });
    if (req.method === "POST" && path === "/v1/environments") return json({ id: "env_sandbox", type: "environment" });
    if (req.method === "POST" && path === "/v1/sessions") {
      if (!sup.binding) return fail(409, "sandbox is not bound to a session");
      return json({ id: sup.binding.sessionId, type: "session", status: sup.harness?.busy ? "running" : "idle" });
    }
    const m = /^\/v1\/sessions\/([^/]+)(\/events(\/stream)?|\/history)?$/.exec(path);
    if (!m) return fail(404, `no route ${req.method} ${path}`);
    if (!sup.binding || m[1] !== sup.binding.sessionId) return fail(404, `no session ${m[1]} in this sandbox`);
    if (!m[2] && req.method === "GET")
      return json({ id: sup.binding.sessionId, type: "session", status: sup.harness?.busy ? "running" : "idle" });
    if (m[2] === "/history" && req.method === "POST") {
      const p = await parse(req, historyBody);
      if (!p.ok) return p.res;
      sup.loadHistory(p.data.events as NormalizedEvent[]);
      return json({ ok: true, events: p.data.events.length });
    }
    if (m[2] === "/events" && req.method === "POST") {
      const p = await parse(req, eventsBody);
      if (!p.ok) return p.res;
      for (const e of p.data.events) {
        if (e.type === "user.interrupt") sup.interrupt();
        else {
          const r =
            e.type === "user.tool_confirmation"
              ? sup.sendConfirmation({ tool_use_id: e.tool_use_id, result: e.result, deny_message: e.deny_message })
              : sup.sendTurn(e.content);
          if (!r.ok) return fail(409, r.error);
        }
      }
      return json({ status: sup.harness?.busy ? "running" : "idle", last_seq: sup.log.lastSeq });
    }
    if (m[2] === "/events" && req.method === "GET") return json({ data: sup.log.after(Number(url.searchParams.get("after") ?? 0)) });
    if (m[2] === "/events/stream" && req.method === "GET") {
      const after = Number(url.searchParams.get("after") ?? req.headers.get("last-event-id") ?? 0) || 0;
      return sse(sup, after, req.signal, url.searchParams.get("until") === "idle");
    }
    return fail(404, `no route ${req.method} ${path}`);
  };
}
