import { isValidSlackRequest, type App, type Receiver, type ReceiverEvent } from "@slack/bolt";
import { DEFAULT_JSON_LIMITS, parseJsonText, readBodyText, type JsonLimits } from "../server/http/json-body";
import { ApiError } from "../server/lib/errors";

/** How long an Events API request may take before we answer 503 (Slack gives up at 3 s and retries). */
export const EVENT_DEADLINE_MS = 2500;
/** Slack's window: a request timestamped further from now, in either direction, is refused. */
export const TIMESTAMP_WINDOW_S = 5 * 60;

export interface ReceiverGuards {
  /** Size and depth bounds of the body (LAP_MAX_BODY_BYTES, LAP_MAX_JSON_DEPTH). */
  limits: JsonLimits;
  /**
   * Records a verified request's signature; false when it was already recorded (by any replica):
   * a replay. Events are deduplicated by event_id instead (Slack's retries of an event are re-signed).
   */
  firstSeen?: (signature: string) => Promise<boolean>;
  now?: () => number;
}

const DEFAULT_GUARDS: ReceiverGuards = { limits: DEFAULT_JSON_LIMITS };
const refused = (status: number, code: string, message: string) => Response.json({ error: { code, message } }, { status });

/**
 * A Bolt receiver on web-standard Request/Response, mounted in Elysia (no Express).
 * - Every request must carry a valid Slack signature timestamped within 5 minutes of now (either
 *   way): else 401, nothing runs. The body is read within the size limit and parsed within the
 *   depth limit (server/http/json-body.ts).
 * - A replayed interactivity or slash command request (same signature) is answered 200 and not run
 *   again; events are deduplicated by event_id in the inbox.
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
    private readonly guards: ReceiverGuards = DEFAULT_GUARDS,
  ) {}
  init(app: App) {
    this.app = app;
  }
  async start() {}
  async stop() {}

  async handle(req: Request): Promise<Response> {
    let raw: string;
    try {
      raw = await readBodyText(req, this.guards.limits.maxBytes);
    } catch (err) {
      if (err instanceof ApiError) return refused(err.status, err.code, err.message);
      throw err;
    }
    const timestamp = Number(req.headers.get("x-slack-request-timestamp")) || 0;
    const signature = req.headers.get("x-slack-signature") ?? "";
    const nowS = Math.floor((this.guards.now?.() ?? Date.now()) / 1000);
    // Bolt refuses only old timestamps; one from the future would extend a captured request's life.
    const fresh = Math.abs(nowS - timestamp) <= TIMESTAMP_WINDOW_S;
    const ok =
      fresh &&
      isValidSlackRequest({
        signingSecret: this.signingSecret,
        body: raw,
        headers: { "x-slack-signature": signature, "x-slack-request-timestamp": timestamp },
        nowMilliseconds: nowS * 1000,
      });
    if (!ok) return refused(401, "unauthorized", "Invalid or stale Slack signature");
    // biome-ignore lint/suspicious/noExplicitAny: Slack payloads are loose JSON after the signature check; handlers read fields defensively
    let body: Record<string, any>;
    try {
      body = parseBody(raw, req.headers.get("content-type") ?? "", this.guards.limits.maxDepth);
    } catch (err) {
      if (err instanceof ApiError) return refused(err.status, err.code, err.message);
      return refused(400, "invalid_request", "Body is not valid JSON or form data");
    }
    if (body.ssl_check) return new Response("");
    if (body.type === "url_verification") return Response.json({ challenge: body.challenge });
    if (body.type !== "event_callback" && this.guards.firstSeen && !(await this.guards.firstSeen(signature))) {
      // A replay of a signed request we already ran: acknowledged, not run twice.
      return new Response("");
    }

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
      const deadline = new Promise<Response>(
        (r) => (timer = setTimeout(() => r(new Response("busy", { status: 503 })), this.eventDeadlineMs)),
      );
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

// biome-ignore lint/suspicious/noExplicitAny: Slack payloads are loose JSON after the signature check; handlers read fields defensively
function parseBody(raw: string, contentType: string, maxDepth: number): Record<string, any> {
  const json = (text: string) => {
    const value = parseJsonText(text, maxDepth);
    if (!value || typeof value !== "object" || Array.isArray(value)) throw new Error("not an object");
    // biome-ignore lint/suspicious/noExplicitAny: Slack payloads are loose JSON after the signature check; handlers read fields defensively
    return value as Record<string, any>;
  };
  if (contentType.includes("application/json")) return json(raw);
  const form = new URLSearchParams(raw);
  const payload = form.get("payload");
  return payload ? json(payload) : Object.fromEntries(form);
}
