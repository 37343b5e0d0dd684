/**
 * Attachments through the gateway (docs/sessions.md "Attachments"): an image (and a PDF or text
 * document where the target format has one) reaches the fake provider as that format's own block,
 * for every caller format (OpenAI chat, Anthropic Messages, OpenAI Responses) against every
 * provider format, including the translation between chat and Anthropic both ways.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { PDF_TINY, PNG_1X1 } from "../../test/support/attachments";
import { startGatewayTestEnv, type GatewayTestEnv } from "../../test/support/gateway";

let env: GatewayTestEnv;
beforeAll(async () => {
  env = await startGatewayTestEnv();
}, 60_000);
afterAll(() => env?.close());
beforeEach(() => {
  env.openai.script.reset();
  env.anthropic.script.reset();
});

const call = async (path: string, body: unknown) => {
  const res = await fetch(`${env.baseUrl}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${env.masterKey}`, "content-type": "application/json", "anthropic-version": "2023-06-01" },
    body: JSON.stringify(body),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json();
};
const PNG_URL = `data:image/png;base64,${PNG_1X1}`;
const PDF_URL = `data:application/pdf;base64,${PDF_TINY}`;
const chatParts = [
  { type: "text", text: "what are these?" },
  { type: "image_url", image_url: { url: PNG_URL } },
  { type: "file", file: { filename: "spec.pdf", file_data: PDF_URL } },
  { type: "file", file: { filename: "notes.txt", file_data: `data:text/plain;base64,${Buffer.from("plain notes").toString("base64")}` } },
];
const anthropicBlocks = [
  { type: "text", text: "what are these?" },
  { type: "image", source: { type: "base64", media_type: "image/png", data: PNG_1X1 } },
  { type: "document", title: "spec.pdf", source: { type: "base64", media_type: "application/pdf", data: PDF_TINY } },
];
const anthropicRequests = () => env.anthropic.script.requests.filter((r) => r.path.includes("messages"));

test("OpenAI chat caller → OpenAI provider: image_url and file parts pass as they are", async () => {
  await call("/v1/chat/completions", { model: "gpt-fake", messages: [{ role: "user", content: chatParts }] });
  expect(env.openai.script.requests[0]!.body.messages[0].content).toEqual(chatParts);
});

test("OpenAI chat caller → Anthropic provider: image, PDF and text documents become image and document blocks", async () => {
  await call("/v1/chat/completions", { model: "claude-fake", max_tokens: 50, messages: [{ role: "user", content: chatParts }] });
  const blocks = anthropicRequests()[0]!.body.messages[0].content;
  expect(blocks[1]).toEqual({ type: "image", source: { type: "base64", media_type: "image/png", data: PNG_1X1 } });
  expect(blocks[2]).toEqual({
    type: "document",
    title: "spec.pdf",
    source: { type: "base64", media_type: "application/pdf", data: PDF_TINY },
  });
  expect(blocks[3]).toEqual({
    type: "document",
    title: "notes.txt",
    source: { type: "text", media_type: "text/plain", data: "plain notes" },
  });
});

test("Anthropic caller → Anthropic provider: image and document blocks pass as they are", async () => {
  await call("/v1/messages", { model: "claude-fake", max_tokens: 50, messages: [{ role: "user", content: anthropicBlocks }] });
  expect(anthropicRequests()[0]!.body.messages[0].content).toEqual(anthropicBlocks);
});

test("Anthropic caller → OpenAI provider: the image becomes an image_url part and the PDF a file part", async () => {
  await call("/v1/messages", { model: "gpt-fake", max_tokens: 50, messages: [{ role: "user", content: anthropicBlocks }] });
  const parts = env.openai.script.requests[0]!.body.messages[0].content;
  expect(parts[1]).toEqual({ type: "image_url", image_url: { url: PNG_URL } });
  expect(parts[2]).toEqual({ type: "file", file: { filename: "spec.pdf", file_data: PDF_URL } });
});

test("Responses caller (Codex) → Anthropic provider: input_image reaches it as an image block, input_file as a document", async () => {
  await call("/v1/responses", {
    model: "claude-fake",
    input: [
      {
        role: "user",
        content: [
          { type: "input_text", text: "look" },
          { type: "input_image", image_url: PNG_URL },
          { type: "input_file", filename: "spec.pdf", file_data: PDF_URL },
        ],
      },
    ],
  });
  const blocks = anthropicRequests()[0]!.body.messages[0].content;
  expect(blocks[1]).toEqual({ type: "image", source: { type: "base64", media_type: "image/png", data: PNG_1X1 } });
  expect(blocks[2]).toMatchObject({ type: "document", source: { type: "base64", media_type: "application/pdf", data: PDF_TINY } });
});
