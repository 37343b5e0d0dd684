/**
 * Attachments on messages (docs/sessions.md "Attachments"): image and document blocks are checked
 * (base64, magic numbers, size and count) before anything is written, stored once in
 * session_attachments with a reference in the event, served back to whoever sees the session, and
 * sent to the runtime as base64 blocks. The runtime is the fake Managed Agents runtime (real HTTP).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { documentBlock, imageBlock, JPEG_HEAD, PNG_1X1, pngOfSize } from "../../../test/support/attachments";
import { sessionHarness, type SessionHarness } from "../../../test/support/session-harness";
import { TEST_MASTER_KEY } from "../../../test/support/app";
import { makeTeam, makeUser } from "../../../test/support/teams";
import { MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS } from "./model";

let h: SessionHarness;
beforeAll(async () => {
  h = await sessionHarness();
}, 60_000);
afterAll(() => h?.close());

const post = (sessionId: string, content: unknown[]) => h.t.json("POST", `/api/sessions/${sessionId}/messages`, { body: { content } });
const counts = async (sessionId: string) => {
  const [r] = await h.t.database.query<{ a: number; e: number; t: number }>(
    `select (select count(*)::int from session_attachments where session_id = $1) as a,
            (select count(*)::int from session_events where session_id = $1) as e,
            (select count(*)::int from session_turns where session_id = $1) as t`,
    [sessionId],
  );
  return r!;
};

describe("bad attachments are a 400 naming the field and write nothing", () => {
  const cases: Array<[string, unknown[], string, RegExp]> = [
    [
      "media type not matching the bytes",
      [{ type: "text", text: "look" }, imageBlock(PNG_1X1, "image/jpeg")],
      "content.1.source.data",
      /not image\/jpeg \(they look like image\/png\)/,
    ],
    [
      "text that is not UTF-8",
      [documentBlock(Buffer.from([0xff, 0xfe, 0x00, 0x41]).toString("base64"), "text/plain")],
      "content.0.source.data",
      /not text\/plain/,
    ],
    ["a media type LAP does not take", [imageBlock(PNG_1X1, "image/svg+xml")], "content.0.source.media_type", /must be one of/],
    ["bad base64", [imageBlock("iVBORw0KGgo$$$=")], "content.0.source.data", /base64/],
    ["a url source", [{ type: "image", source: { type: "url", url: "http://169.254.169.254/" } }], "content.0.source.type", /only base64/],
    ["one attachment too large", [imageBlock(pngOfSize(MAX_ATTACHMENT_BYTES + 1))], "content.0.source.data", /at most 5 MiB/],
    ["too many", Array.from({ length: MAX_ATTACHMENTS + 1 }, () => imageBlock()), "content", /at most 10 images and documents/],
    [
      "too much in total",
      [imageBlock(pngOfSize(4 * 1024 * 1024)), imageBlock(pngOfSize(3 * 1024 * 1024))],
      "content",
      /total at most 6 MiB/,
    ],
    ["an unknown block type", [{ type: "audio", source: {} }], "content.0.type", /text, image or document/],
  ];
  for (const [name, content, field, message] of cases) {
    test(name, async () => {
      const s = await h.createSession();
      const before = await counts(s.id);
      const res = await post(s.id, content);
      expect(res.status).toBe(400);
      const f = res.body.error.fields.find((x: { field: string }) => x.field === field);
      expect(f, JSON.stringify(res.body.error.fields)).toBeDefined();
      expect(f.message).toMatch(message);
      expect(await counts(s.id)).toEqual(before);
    });
  }
});

test("an image and a document are stored once, referenced from the event, and reach the runtime as base64 blocks", async () => {
  const s = await h.createSession();
  const res = await post(s.id, [
    { type: "text", text: "what is in these?" },
    imageBlock(),
    documentBlock(undefined, undefined, "spec.pdf"),
  ]);
  expect(res.status).toBe(202);
  // The runtime got the bytes back as Managed Agents content blocks.
  const received = await h.waitFor("the runtime to get the message", async () => {
    const [row] = await h.t.database.query<{ r: string | null }>("select remote_session_id as r from sessions where id = $1", [s.id]);
    return row?.r ? h.fake.sessions.get(row.r)?.received.at(-1) : undefined;
  });
  const got = received.content as any[];
  expect(got[1]).toEqual(imageBlock());
  expect(got[2]).toMatchObject({ type: "document", title: "spec.pdf", source: { type: "base64", media_type: "application/pdf" } });
  // The stored event holds references only.
  const user = (await h.events(s.id)).find((e) => e.type === "user.message")!;
  const parts = user.data.content as any[];
  expect(JSON.stringify(user).length).toBeLessThan(1000);
  expect(parts[1]).toMatchObject({
    type: "image",
    source: { type: "file", media_type: "image/png" },
    size_bytes: Buffer.from(PNG_1X1, "base64").length,
  });
  expect(parts[2]).toMatchObject({ type: "document", title: "spec.pdf", source: { type: "file", media_type: "application/pdf" } });
  // The bytes are served back with the checked type.
  const img = await fetch(`${h.url}/api/sessions/${s.id}/attachments/${parts[1].source.file_id}`, {
    headers: { authorization: `Bearer ${TEST_MASTER_KEY}` },
  });
  expect(img.status).toBe(200);
  expect(img.headers.get("content-type")).toBe("image/png");
  expect(img.headers.get("x-content-type-options")).toBe("nosniff");
  expect(Buffer.from(await img.arrayBuffer()).toString("base64")).toBe(PNG_1X1);
  expect((await counts(s.id)).a).toBe(2);
});

test("a JPEG passes with its own type; the attachment route is 404 for another session's attachment and another team", async () => {
  const s = await h.createSession();
  const other = await h.createSession();
  expect((await post(s.id, [imageBlock(JPEG_HEAD, "image/jpeg")])).status).toBe(202);
  const ev = (await h.events(s.id)).find((e) => e.type === "user.message")!;
  const id = (ev.data.content as any[])[0].source.file_id;
  const auth = { authorization: `Bearer ${TEST_MASTER_KEY}` };
  expect((await fetch(`${h.url}/api/sessions/${other.id}/attachments/${id}`, { headers: auth })).status).toBe(404);
  expect((await fetch(`${h.url}/api/sessions/${s.id}/attachments/${id}`)).status).toBe(401);
  const team = await makeTeam(h.t, "att-other");
  const outsider = await makeUser(h.t, "att-outsider@example.com", team);
  expect(
    (await fetch(`${h.url}/api/sessions/${s.id}/attachments/${id}`, { headers: { authorization: `Bearer ${outsider.key}` } })).status,
  ).toBe(404);
});

test("a session can start with an image; a bad one is a 400 that creates no session", async () => {
  const sessions = async () => (await h.t.database.query<{ n: number }>("select count(*)::int as n from sessions"))[0]!.n;
  const before = await sessions();
  const bad = await h.t.json("POST", "/api/sessions", {
    body: { agent_id: h.agentId, content: [{ type: "text", text: "see" }, imageBlock(PNG_1X1, "image/gif")] },
  });
  expect(bad.status).toBe(400);
  expect(bad.body.error.fields[0].field).toBe("content.1.source.data");
  expect(await sessions()).toBe(before);
  expect(
    (await h.t.json("POST", "/api/sessions", { body: { agent_id: h.agentId, prompt: "x", content: [{ type: "text", text: "y" }] } }))
      .status,
  ).toBe(400);
  const s = await h.createSession({ content: [{ type: "text", text: "start with this" }, imageBlock()] });
  const user = await h.waitForEvent(s.id, (e) => e.type === "user.message");
  expect((user.data.content as any[])[1]).toMatchObject({ type: "image", source: { type: "file", media_type: "image/png" } });
});
