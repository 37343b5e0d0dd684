import { isValidSlackRequest, type App, type Receiver, type ReceiverEvent } from "@slack/bolt";

/** How long an Events API request may take before we answer 503 (Slack gives up at 3 s and retries). */
export const EVENT_DEADLINE_MS = 2500;

/**
 * A Bolt receiver on web-standard Request/Response, mounted in Elysia (no Express).
 * - Every request must carry a valid Slack signature no older than 5 minutes: else 401, nothing runs.
 * - Events API: Bolt acks events before listeners run, so we answer only when the listeners finish
 *   (they just write the inbox row). 200 means "stored"; an error is a 500 so Slack retries.
 * - Interactivity and slash commands: we answer as soon as the listener calls `ack(...)` and let the
 *   rest of the listener run in the background.
 */
export class FetchReceiver implements Receiver {
  private app?: App;
  constructor(
    private readonly signingSecret: string,
    private readonly onError: (err: unknown) => void = () => {},
    /** Told about listener work that outlives the response, so shutdown and tests can wait for it. */
    private readonly track: (work: Promise<unknown>) => void = () => {},
    private readonly eventDeadlineMs = EVENT_DEADLINE_MS,
  ) {}
  init(app: App) {
    this.app = app;
  }
  async start() {}
  async stop() {}

  async handle(req: Request): Promise<Response> {
    const raw = await req.text();
    const ok = isValidSlackRequest({
      signingSecret: this.signingSecret,
      body: raw,
      headers: {
        "x-slack-signature": req.headers.get("x-slack-signature") ?? "",
        "x-slack-request-timestamp": Number(req.headers.get("x-slack-request-timestamp")) || 0,
      },
    });
    if (!ok) return Response.json({ error: { code: "unauthorized", message: "Invalid or stale Slack signature" } }, { status: 401 });
    let body: Record<string, any>;
    try {
      body = parseBody(raw, req.headers.get("content-type") ?? "");
    } catch {
      return Response.json({ error: { code: "invalid_request", message: "Body is not valid JSON or form data" } }, { status: 400 });
    }
    if (body.ssl_check) return new Response("");
    if (body.type === "url_verification") return Response.json({ challenge: body.challenge });

    let reply!: (r: Response) => void;
    const acked = new Promise<Response>((r) => (reply = r));
    let ackCalled = false;
    const retryNum = Number(req.headers.get("x-slack-retry-num")) || undefined;
    const event: ReceiverEvent = {
      body,
      retryNum,
      retryReason: req.headers.get("x-slack-retry-reason") ?? undefined,
      ack: async (res?: unknown) => {
        if (ackCalled) return;
        ackCalled = true;
        reply(res == null || res === "" ? new Response("") : typeof res === "string" ? new Response(res) : Response.json(res));
      },
    };
    const processing = this.app!.processEvent(event);
    if (body.type === "event_callback") {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<Response>((r) => (timer = setTimeout(() => r(new Response("busy", { status: 503 })), this.eventDeadlineMs)));
      const stored = processing.then(
        () => new Response(""),
        (err) => {
          this.onError(err);
          return new Response("not stored", { status: 500 });
        },
      );
      return Promise.race([stored, deadline]).finally(() => clearTimeout(timer));
    }
    this.track(processing.catch(() => {}));
    const finished = processing.then(
      () => (ackCalled ? acked : new Response("", { status: 404 })),
      (err) => {
        this.onError(err);
        return ackCalled ? acked : new Response("", { status: 500 });
      },
    );
    return Promise.race([acked, finished]);
  }
}

function parseBody(raw: string, contentType: string): Record<string, any> {
  if (contentType.includes("application/json")) return JSON.parse(raw);
  const form = new URLSearchParams(raw);
  const payload = form.get("payload");
  return payload ? JSON.parse(payload) : Object.fromEntries(form);
}
