// How a turn's attachments are split for the CLIs (docs/sessions.md "Attachments").
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PDF_TINY, PNG_1X1 } from "../../test/support/attachments.ts";
import { saveToWorkspace, splitContent } from "./attachments.ts";

const dir = mkdtempSync(join(tmpdir(), "lap-attachments-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("text parts are joined, text documents inlined, images and PDFs kept; other blocks ignored", () => {
  const { text, attachments } = splitContent([
    { type: "text", text: "read " },
    { type: "text", text: "these" },
    { type: "image", source: { type: "base64", media_type: "image/png", data: PNG_1X1 } },
    { type: "document", title: "notes", source: { type: "base64", media_type: "text/plain", data: Buffer.from("n1").toString("base64") } },
    { type: "document", title: "spec.pdf", source: { type: "base64", media_type: "application/pdf", data: PDF_TINY } },
    { type: "image", source: { type: "url", url: "http://example.com/x.png" } },
  ]);
  expect(text).toBe('read these\n\n<document title="notes">\nn1\n</document>');
  expect(attachments).toEqual([
    { kind: "image", mediaType: "image/png", data: PNG_1X1 },
    { kind: "document", mediaType: "application/pdf", data: PDF_TINY, title: "spec.pdf" },
  ]);
});

test("files written for a CLI without a file input get LAP's names, never the title as a path", () => {
  const prompt = saveToWorkspace(dir, "summarise", [
    { kind: "document", mediaType: "application/pdf", data: PDF_TINY, title: "../../etc/passwd" },
  ]);
  const files = readdirSync(join(dir, ".lap-attachments"));
  expect(files).toHaveLength(1);
  expect(files[0]).toMatch(/^[a-z0-9]+-1\.pdf$/);
  expect(readFileSync(join(dir, ".lap-attachments", files[0]!)).toString("base64")).toBe(PDF_TINY);
  expect(prompt).toContain(`.lap-attachments/${files[0]}`);
  expect(readdirSync(dir)).toEqual([".lap-attachments"]);
});
