import { expect, test } from "@playwright/test";
import type { ChildProcess } from "node:child_process";
import { deflateSync } from "node:zlib";
import { startFakeRuntime } from "./own-lap";
import { login, MASTER_KEY, shot } from "./support";

// Attachments in the chat (docs/sessions.md "Attachments"): a person attaches an image and a PDF with
// the composer's button, drops another image on it, sends, and sees the thumbnails in the chat,
// served back by LAP. The remote runtime is the fake Managed Agents runtime (see its header).
const headers = { authorization: `Bearer ${MASTER_KEY}` };
let fake: ChildProcess;
let fakeUrl: string;

test.beforeAll(async () => {
  ({ url: fakeUrl, process: fake } = await startFakeRuntime());
});
test.afterAll(() => {
  fake?.kill();
});

/** A real PNG of a coloured square (RGB, no filter), so the thumbnail shows something. */
function png(size: number, rgb: [number, number, number]): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(size * 3).map((_, i) => rgb[i % 3]!)]);
  const raw = Buffer.concat(Array.from({ length: size }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

test("attach an image and a PDF with the button, drop another image, send, and see the thumbnails", async ({ page }) => {
  test.setTimeout(60_000);
  const name = `attach-${Date.now().toString(36)}`;
  const rt = await page.request.post("/api/runtimes", { headers, data: { alias: name, base_url: fakeUrl, api_key: "fake-runtime-key" } });
  expect(rt.status()).toBe(201);
  const agent = await page.request.post("/api/agents", {
    headers,
    data: { name, model: "claude-sonnet-4-5", runtime_id: (await rt.json()).id },
  });
  expect(agent.status()).toBe(201);
  const session = await page.request.post("/api/sessions", { headers, data: { agent_id: (await agent.json()).id, title: name } });
  expect(session.status()).toBe(201);
  const sessionId = (await session.json()).id as string;

  await login(page);
  await page.goto(`/sessions/${sessionId}`);
  await expect(page.getByTestId("connection")).toContainText("live");

  // The button opens a file picker; two files are picked.
  const chooser = page.waitForEvent("filechooser");
  await page.getByTestId("attach").click();
  await (await chooser).setFiles([
    { name: "orange.png", mimeType: "image/png", buffer: png(48, [240, 120, 20]) },
    { name: "spec.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.4\n%%EOF\n") },
  ]);
  const pending = page.getByTestId("pending-attachments");
  await expect(pending.locator("img")).toHaveCount(1);
  await expect(pending).toContainText("spec.pdf");

  // An image dropped on the composer joins them.
  const drop = await page.evaluateHandle(
    (b64) => {
      const dt = new DataTransfer();
      dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], "blue.png", { type: "image/png" }));
      return dt;
    },
    png(48, [30, 90, 220]).toString("base64"),
  );
  await page.locator("form.composer").dispatchEvent("drop", { dataTransfer: drop });
  await expect(pending.locator("img")).toHaveCount(2);
  await shot(page, "chat-attachments-composer");

  // A file LAP does not take is refused before sending.
  const chooser2 = page.waitForEvent("filechooser");
  await page.getByTestId("attach").click();
  await (await chooser2).setFiles([{ name: "page.html", mimeType: "text/html", buffer: Buffer.from("<p>hi</p>") }]);
  await expect(page.getByText("page.html: LAP takes PNG, JPEG, GIF and WebP images, PDFs and plain text")).toBeVisible();
  await expect(pending.locator(".attachment")).toHaveCount(3);

  await page.getByLabel("Message").fill("what are these?");
  await page.getByRole("button", { name: "Send" }).click();
  await expect(pending).toHaveCount(0);
  const sent = page.getByTestId("msg-user").filter({ hasText: "what are these?" });
  const thumbs = sent.getByTestId("msg-attachment-image");
  await expect(thumbs).toHaveCount(2);
  // The thumbnails are LAP's stored bytes, loaded from the attachment route.
  await expect.poll(() => thumbs.first().evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(48);
  await expect(sent.getByTestId("msg-attachment-doc")).toContainText("spec.pdf");
  await expect(page.getByTestId("msg-assistant").last()).toContainText("You said: what are these?");
  await shot(page, "chat-attachments");

  // The event carries references, not bytes.
  const events = await (await page.request.get(`/api/sessions/${sessionId}/events?after=0`, { headers })).json();
  const user = events.data.find((e: { type: string }) => e.type === "user.message");
  expect(user.data.content.map((p: { type: string; source?: { type: string } }) => `${p.type}:${p.source?.type ?? ""}`)).toEqual([
    "text:",
    "image:file",
    "document:file",
    "image:file",
  ]);
});

test("start a session from the Sessions page with a first message and an image", async ({ page }) => {
  test.setTimeout(60_000);
  const name = `first-image-${Date.now().toString(36)}`;
  const rt = await page.request.post("/api/runtimes", { headers, data: { alias: name, base_url: fakeUrl, api_key: "fake-runtime-key" } });
  const agent = await page.request.post("/api/agents", {
    headers,
    data: { name, model: "claude-sonnet-4-5", runtime_id: (await rt.json()).id },
  });
  expect(agent.status()).toBe(201);

  await login(page);
  await page.goto("/sessions");
  const launcher = page.getByTestId("session-launcher");
  await launcher.getByLabel("Agent", { exact: true }).selectOption({ label: name });
  await launcher.getByLabel("First message").fill("what colour is this?");
  const chooser = page.waitForEvent("filechooser");
  await launcher.getByTestId("attach").click();
  await (await chooser).setFiles([{ name: "green.png", mimeType: "image/png", buffer: png(32, [20, 200, 60]) }]);
  await expect(launcher.getByTestId("pending-attachments").locator("img")).toHaveCount(1);
  await launcher.getByRole("button", { name: "Start session" }).click();

  await expect(page).toHaveURL(/\/sessions\/ses_/);
  const sent = page.getByTestId("msg-user").filter({ hasText: "what colour is this?" });
  await expect(sent.getByTestId("msg-attachment-image")).toHaveCount(1);
  await expect(page.getByTestId("msg-assistant").last()).toContainText("You said: what colour is this?");
});
