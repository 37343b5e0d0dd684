/**
 * Files shared in a Slack thread become attachments of the agent's message (docs/slack.md "Files"):
 * downloaded from Slack's file host with the bot token, checked by their bytes, size-capped, and
 * stored as the session's attachments; the runtime gets image and document blocks. A file LAP does
 * not take is named in the message instead, and nothing is fetched from another host. Slack is
 * FakeSlack (its file host included); the sessions service is real over FakeManagedAgents.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { FakeManagedAgents } from "../test/support/fake-managed-agents";
import { PDF_TINY, PNG_1X1 } from "../test/support/attachments";
import { nextTs, slackHarness, type SlackHarness } from "../test/support/slack-harness";
import { MAX_ATTACHMENT_BYTES } from "../server/sessions/attachments/model";
import { allowedFileOrigins } from "./files";

let h: SlackHarness;
let runtime: FakeManagedAgents;
beforeAll(async () => {
  runtime = new FakeManagedAgents().start();
  h = await slackHarness({ real: { runtime } });
  const rt = await h.api("POST", "/api/runtimes", { alias: "fake", base_url: runtime.url, api_key: runtime.apiKey });
  const ag = await h.api("POST", "/api/agents", { name: "reader", model: "claude-sonnet-4-5", runtime_id: rt.body.id });
  expect(ag.status).toBe(201);
  expect((await h.api("PUT", "/api/slack/bindings", { agent_id: "reader" })).status).toBe(200);
}, 60_000);
afterAll(async () => {
  await h?.close();
  await runtime?.stop();
});

const bytes = (b64: string) => Buffer.from(b64, "base64");
const userMessage = async (ts: string) => {
  await h.idle();
  const row = (await h.rows()).find((r) => r.message_ts === ts)!;
  expect(row.status, row.error).toBe("answered");
  const events = (await h.api("GET", `/api/sessions/${row.session_id}/events?after=0&limit=1000`)).body.data as Array<{
    type: string;
    data: any;
  }>;
  return { row, content: events.find((e) => e.type === "user.message")!.data.content as any[] };
};
const received = () => [...runtime.sessions.values()].flatMap((s) => s.received).at(-1)!.content as any[];

test("an image, a PDF and a text file shared with a mention reach the agent as attachments", async () => {
  const ts = nextTs();
  const files = [
    h.fake.addFile(bytes(PNG_1X1), { name: "pixel.png", mimetype: "image/png" }),
    h.fake.addFile(bytes(PDF_TINY), { name: "spec.pdf", mimetype: "application/pdf" }),
    h.fake.addFile(Buffer.from("meeting notes"), { name: "notes.txt", mimetype: "text/plain" }),
  ];
  await h.event({ type: "app_mention", subtype: "file_share", user: "U1", text: "<@UBOTT1> what are these?", ts, channel: "C1", files });
  const { content } = await userMessage(ts);
  expect(content.map((p) => [p.type, p.source?.type, p.source?.media_type])).toEqual([
    ["text", undefined, undefined],
    ["image", "file", "image/png"],
    ["document", "file", "application/pdf"],
    ["document", "file", "text/plain"],
  ]);
  expect(content[0].text).toBe("what are these?");
  const sent = received();
  expect(sent[1]).toEqual({ type: "image", source: { type: "base64", media_type: "image/png", data: PNG_1X1 } });
  expect(sent[2]).toMatchObject({
    type: "document",
    title: "spec.pdf",
    source: { type: "base64", media_type: "application/pdf", data: PDF_TINY },
  });
  // Each file was fetched once, with the bot token (the fake refuses others).
  expect(h.fake.callsTo("files.download").length).toBe(3);
});

test("files LAP does not take are named in the message, not attached; another host is never fetched", async () => {
  h.fake.reset();
  const ts = nextTs();
  const files = [
    // Says PNG, is HTML.
    h.fake.addFile(Buffer.from("<html><script>alert(1)</script></html>"), { name: "fake.png", mimetype: "image/png" }),
    // Over the cap by Slack's own size: not downloaded at all.
    h.fake.addFile(bytes(PNG_1X1), { name: "huge.png", mimetype: "image/png", size: MAX_ATTACHMENT_BYTES + 1 }),
    // Not on Slack's file host.
    {
      id: "F9",
      name: "elsewhere.png",
      mimetype: "image/png",
      size: 10,
      mode: "hosted",
      url_private_download: "http://127.0.0.2:9/steal.png",
    },
  ];
  await h.event({ type: "app_mention", subtype: "file_share", user: "U1", text: "<@UBOTT1> look", ts, channel: "C1", files });
  const { content } = await userMessage(ts);
  expect(content.map((p) => p.type)).toEqual(["text"]);
  const text = content[0].text as string;
  expect(text).toContain("[fake.png was not attached: LAP takes PNG, JPEG, GIF and WebP images, PDFs and plain text (this is image/png)]");
  expect(text).toContain("[huge.png was not attached: larger than 5 MiB]");
  expect(text).toContain("[elsewhere.png was not attached: it is not on Slack's file host]");
  expect(text.endsWith("look")).toBe(true);
  expect(h.fake.callsTo("files.download").length).toBe(1);
});

test("files come only from Slack's file host, or SLACK_API_URL's origin when an operator changed it", () => {
  expect([...allowedFileOrigins("https://slack.com/api/")]).toEqual(["https://files.slack.com"]);
  expect([...allowedFileOrigins("http://127.0.0.1:4010/api/")]).toEqual(["https://files.slack.com", "http://127.0.0.1:4010"]);
});
