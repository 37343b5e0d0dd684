// An image attached to a message reaches the model as the harness's native multimodal input
// (docs/sessions.md "Attachments"), for the built-in agent (OpenAI chat `image_url`), Claude Code
// (Anthropic `image` block through its stream-json input), Codex (app-server `image` input, sent
// as a Responses `input_image`), opencode (`file` part, sent as chat `image_url`) and DeepAgents
// (a chat `image_url` part through LangChain). Each runs
// in a real bubblewrap sandbox behind LAP's gateway; the scripted model (standing for the provider)
// records the blocks it got. Outside server/ on purpose: CI runs it once, as the other api tests.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { PNG_1X1 } from "../../test/support/attachments.ts";
import { GATEWAY_MODELS, type LapUnderTest, startLapWithScriptedModel, waitFor } from "../../test/support/lap-api.ts";
import { BWRAP_MISSING, requires } from "../../test/support/skip.ts";

let t: LapUnderTest;

const CASES = [
  { harness: "default", model: GATEWAY_MODELS.openai, format: "chat", block: "image_url" },
  { harness: "claude-code", model: GATEWAY_MODELS.anthropic, format: "anthropic", block: "image" },
  { harness: "codex", model: GATEWAY_MODELS.openai, format: "chat", block: "image_url" },
  { harness: "opencode", model: GATEWAY_MODELS.openai, format: "chat", block: "image_url" },
  { harness: "deepagents", model: GATEWAY_MODELS.openai, format: "chat", block: "image_url" },
] as const;

requires(BWRAP_MISSING).describe("an image attachment through each harness", () => {
  beforeAll(async () => {
    t = await startLapWithScriptedModel();
  }, 90_000);
  afterAll(async () => {
    t?.model.releaseHangs();
    await t?.stop();
  }, 60_000);

  for (const c of CASES) {
    test(`${c.harness}: the image reaches the provider as ${c.format} ${c.block}`, async () => {
      const agent = await t.api<{ id: string }>("POST", "/api/agents", {
        name: `att-${c.harness}`,
        model: c.model,
        runtime_id: "rt_local_sandbox",
        harness: c.harness,
      });
      expect(agent.status).toBe(201);
      const created = await t.api<{ id: string }>("POST", "/api/sessions", { agent_id: agent.body.id });
      expect(created.status).toBe(201);
      const id = created.body.id;
      await waitFor(
        "the session to be idle",
        async () => (await t.api<{ status: string }>("GET", `/api/sessions/${id}`)).body.status === "idle",
        90_000,
      );
      const word = `describe-picture-${c.harness}`;
      t.model.setScript([{ when: word, steps: [{ kind: "text", text: "A single pixel." }] }]);
      const before = t.model.requests.length;
      const posted = await t.api("POST", `/api/sessions/${id}/messages`, {
        content: [
          { type: "text", text: `${word}: what is in this image?` },
          { type: "image", source: { type: "base64", media_type: "image/png", data: PNG_1X1 } },
        ],
      });
      expect(posted.status).toBe(202);
      const calls = () => t.model.requests.slice(before).filter((r) => r.lastUserText.includes(word));
      await waitFor(`${c.harness}: a model call carrying the prompt`, () => calls().length > 0, 120_000);
      const call = calls()[0]!;
      expect(call.media, JSON.stringify(call.media.map((m) => m.block))).toContainEqual({
        block: c.block,
        mediaType: "image/png",
        data: PNG_1X1,
      });
      await waitFor(
        "the turn to end",
        async () => (await t.events(id)).some((e) => e.type === "session.status_idle" && e.turn_id),
        120_000,
      );
    }, 240_000);
  }
});
