// The built-in agent's user content (docs/sessions.md "Attachments"): OpenAI chat parts for LAP's gateway.
import { expect, test } from "bun:test";
import { PDF_TINY, PNG_1X1 } from "../../test/support/attachments.ts";
import { messagesFromHistory } from "./loop.ts";
import { chatUserContent } from "./user-content.ts";

test("text alone stays a string; images become image_url data URLs, PDFs file parts, text documents text", () => {
  expect(chatUserContent([{ type: "text", text: "hi" }])).toBe("hi");
  expect(
    chatUserContent([
      { type: "text", text: "look" },
      { type: "image", source: { type: "base64", media_type: "image/png", data: PNG_1X1 } },
      { type: "document", title: "spec.pdf", source: { type: "base64", media_type: "application/pdf", data: PDF_TINY } },
      {
        type: "document",
        title: "notes",
        source: { type: "base64", media_type: "text/plain", data: Buffer.from("plain").toString("base64") },
      },
    ]),
  ).toEqual([
    { type: "text", text: "look" },
    { type: "image_url", image_url: { url: `data:image/png;base64,${PNG_1X1}` } },
    { type: "file", file: { filename: "spec.pdf", file_data: `data:application/pdf;base64,${PDF_TINY}` } },
    { type: "text", text: '<document title="notes">\nplain\n</document>' },
  ]);
});

test("a recovered transcript keeps the images of earlier messages", () => {
  const [user] = messagesFromHistory([
    {
      type: "user.message",
      content: [
        { type: "text", text: "see" },
        { type: "image", source: { type: "base64", media_type: "image/png", data: PNG_1X1 } },
      ],
    },
  ]);
  expect(user).toEqual({
    role: "user",
    content: [
      { type: "text", text: "see" },
      { type: "image_url", image_url: { url: `data:image/png;base64,${PNG_1X1}` } },
    ],
  });
});
