/**
 * POST /api/triggers/:id: a public route that authenticates by signature (server/http/public-routes.ts).
 * In order: size cap, the trigger, the signature and its timestamp (401, nothing written), then
 * the idempotency key (a replay gets the first answer again), the body and its prompt (400), and
 * finally the delivery row with its session and turn in one transaction (202).
 */
import { createHash, randomUUID } from "node:crypto";
import type { Clock } from "../automation/clock";
import type { Dispatched, TurnDispatcher } from "../automation/dispatch";
import type { Database } from "../db/client";
import type { SecretBox } from "../lib/crypto";
import { ownerProblem, runCreator } from "../automation/owner";
import { ApiError, badRequest, conflict, forbidden, notFound, unauthorized } from "../lib/errors";
import type { Logger } from "../lib/logger";
import type { AcceptedDelivery } from "./model";
import { TIMESTAMP_HEADER, verifySignature } from "./signature";
import { renderTemplate } from "./template";

/** Webhook bodies are small JSON documents; anything bigger is refused before it is read. */
export const MAX_WEBHOOK_BODY_BYTES = 256 * 1024;
export const IDEMPOTENCY_HEADER = "idempotency-key";
const KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;

interface TriggerSqlRow {
  id: string;
  agent_id: string;
  name: string;
  prompt_template: string;
  session_mode: "new" | "continue";
  session_id: string | null;
  secret_sealed: string;
  status: "active" | "paused";
  owner_key_id: string | null;
  owner_user_id: string | null;
  team_id: string;
}

export interface TriggerIntakeDeps {
  database: Database;
  dispatcher: TurnDispatcher;
  box: SecretBox;
  clock: Clock;
  log: Logger;
}

export class TriggerIntake {
  constructor(private readonly deps: TriggerIntakeDeps) {}

  async receive(triggerId: string, request: Request): Promise<AcceptedDelivery> {
    const declared = Number(request.headers.get("content-length") ?? 0);
    if (declared > MAX_WEBHOOK_BODY_BYTES) throw tooLarge(declared);
    const raw = await request.text();
    if (Buffer.byteLength(raw) > MAX_WEBHOOK_BODY_BYTES) throw tooLarge(Buffer.byteLength(raw));

    const [trigger] = await this.deps.database.query<TriggerSqlRow>("select * from triggers where id = $1", [triggerId]);
    if (!trigger) throw notFound("Trigger");
    const check = verifySignature(this.deps.box.decrypt(trigger.secret_sealed), request.headers, raw, this.deps.clock.now());
    if (!check.ok) throw unauthorized(`Webhook refused: ${check.reason}`);

    const given = request.headers.get(IDEMPOTENCY_HEADER);
    if (given !== null && !KEY_PATTERN.test(given)) {
      throw badRequest(`${IDEMPOTENCY_HEADER}: 1-200 visible ASCII characters`, [
        { field: IDEMPOTENCY_HEADER, message: "1-200 visible ASCII characters" },
      ]);
    }
    const bodySha = createHash("sha256").update(raw).digest("hex");
    // Without a key, the signed request itself is the key: the same request sent twice is one delivery.
    const key =
      given ??
      `sig:${createHash("sha256")
        .update(request.headers.get(TIMESTAMP_HEADER) ?? "")
        .update("\n")
        .update(raw)
        .digest("hex")}`;
    // A replay gets its first answer whatever happened since (a pause does not turn an accepted delivery into a 409).
    const earlier = await this.replayOf(trigger.id, key, bodySha);
    if (earlier) return earlier;
    if (trigger.status === "paused") throw conflict(`Trigger ${trigger.name} is paused`);
    const owner = await ownerProblem((text, params) => this.deps.database.query(text, params), trigger, this.deps.clock.now());
    if (owner) throw forbidden(`Trigger ${trigger.name} starts nothing: ${owner}`);

    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      throw new ApiError(400, "invalid_json", "The webhook body is not JSON", [{ field: "body", message: "not valid JSON" }]);
    }
    const rendered = renderTemplate(trigger.prompt_template, body);
    if (!rendered.ok) throw badRequest(`body: ${rendered.message}`, [{ field: "body", message: rendered.message }]);

    const deliveryId = `dlv_${randomUUID().replaceAll("-", "").slice(0, 24)}`;
    const started = await this.deps.database.transaction(async (tx): Promise<Dispatched | null> => {
      // One delivery at a time per trigger: "continue" needs them to agree on the session.
      const [t] = await tx.query<TriggerSqlRow>("select * from triggers where id = $1 for update", [trigger.id]);
      if (!t) throw notFound("Trigger");
      const [inserted] = await tx.query<{ id: string }>(
        `insert into trigger_deliveries (id, trigger_id, idempotency_key, body_sha256, received_at) values ($1, $2, $3, $4, $5)
         on conflict (trigger_id, idempotency_key) do nothing returning id`,
        [deliveryId, t.id, key, bodySha, this.deps.clock.now().toISOString()],
      );
      if (!inserted) return null; // the same key arrived concurrently and won
      // A refusal (agent paused, no runtime) throws: nothing is kept, and the sender may retry the same key later.
      const d = await this.deps.dispatcher.startInTx(tx, {
        creator: runCreator(t),
        agentId: t.agent_id,
        prompt: rendered.prompt,
        title: `${t.name} (webhook)`,
        continueSessionId: t.session_mode === "continue" ? t.session_id : null,
      });
      await tx.query("update trigger_deliveries set session_id = $2, turn_id = $3 where id = $1", [deliveryId, d.sessionId, d.turnId]);
      if (t.session_mode === "continue" && t.session_id !== d.sessionId) {
        await tx.query("update triggers set session_id = $2, updated_at = now() where id = $1", [t.id, d.sessionId]);
      }
      return d;
    });
    if (!started) {
      const replay = await this.replayOf(trigger.id, key, bodySha);
      if (replay) return replay;
      throw conflict("A delivery with this idempotency key is being processed; retry");
    }
    this.deps.dispatcher.announce(started);
    this.deps.log.info({ trigger_id: trigger.id, delivery_id: deliveryId, session_id: started.sessionId }, "webhook accepted");
    return { delivery_id: deliveryId, session_id: started.sessionId, turn_id: started.turnId, replayed: false };
  }

  /** The answer an earlier delivery with this key got; a different body under the same key is a 409. */
  private async replayOf(triggerId: string, key: string, bodySha: string): Promise<AcceptedDelivery | null> {
    const [d] = await this.deps.database.query<{ id: string; body_sha256: string; session_id: string | null; turn_id: string | null }>(
      "select id, body_sha256, session_id, turn_id from trigger_deliveries where trigger_id = $1 and idempotency_key = $2",
      [triggerId, key],
    );
    if (!d) return null;
    if (d.body_sha256 !== bodySha) throw conflict(`${IDEMPOTENCY_HEADER} ${key} was already used with a different body`);
    return { delivery_id: d.id, session_id: d.session_id ?? "", turn_id: d.turn_id ?? "", replayed: true };
  }
}

const tooLarge = (bytes: number) =>
  new ApiError(413, "payload_too_large", `Webhook body is ${bytes} bytes; the limit is ${MAX_WEBHOOK_BODY_BYTES}`);
