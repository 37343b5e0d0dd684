/**
 * Issue 4's "done when", as a person sees it: chatting in the dashboard with an agent on a remote
 * runtime, LAP is killed (SIGKILL) mid-reply and started again; the open chat reconnects and the
 * reply carries on, with nothing lost and nothing doubled. This file runs its own LAP (on its own
 * port and data directory) because it kills it; the remote runtime is the Managed Agents stand-in.
 */
import { expect, test } from "@playwright/test";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "./free-port";
import { login, MASTER_KEY, shot, navTo } from "./support";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const BUN = join(ROOT, ".tools/node_modules/.bin/bun");
const PORT = await freePort();
const BASE = `http://127.0.0.1:${PORT}`;
const dataDir = mkdtempSync(join(tmpdir(), "lap-e2e-restart-"));
let lap: ChildProcess | undefined;
let fake: ChildProcess | undefined;
let fakeUrl: string;

test.use({ baseURL: BASE });

async function startLap() {
  lap = spawn(BUN, ["bin/lap.ts", "up"], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, PORT: String(PORT), HOST: "127.0.0.1", LAP_DATA_DIR: dataDir, MASTER_KEY, LOG_LEVEL: "warn" },
  });
  const until = Date.now() + 90_000;
  while (Date.now() < until) {
    if (
      await fetch(`${BASE}/health/readiness`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    if (lap.exitCode !== null) throw new Error(`LAP exited with ${lap.exitCode}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("LAP did not become ready");
}

async function killLap() {
  const child = lap!;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exited;
}

test.beforeAll(async () => {
  fake = spawn(BUN, ["test/support/fake-managed-agents-server.ts"], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  fakeUrl = await new Promise<string>((resolve, reject) => {
    fake!.stdout!.on("data", (d: Buffer) => {
      const m = /FAKE_RUNTIME_URL=(\S+)/.exec(d.toString());
      if (m) resolve(m[1]!);
    });
    fake!.once("exit", () => reject(new Error("fake runtime exited")));
  });
  await startLap();
});
test.afterAll(() => {
  lap?.kill("SIGTERM");
  fake?.kill();
});

const api = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${BASE}${path}`, {
    method,
    headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await res.json()) as Record<string, any>;
};

test("kill LAP mid-reply and start it again: the open chat reconnects and the reply carries on, nothing lost or doubled", async ({
  page,
}) => {
  test.setTimeout(240_000);
  // Runtime and agent through the API (sessions.e2e.ts creates them through the dashboard).
  const runtime = await api("POST", "/api/runtimes", { alias: "remote", base_url: fakeUrl, api_key: "fake-runtime-key" });
  await api("POST", "/api/agents", { name: "survivor", model: "claude-sonnet-4-5", runtime_id: runtime.id });

  await login(page);
  await navTo(page, /Sessions/);
  await page.getByLabel("First message").fill("tell me a slow story");
  await page.getByRole("button", { name: "Start session" }).click();
  const reply = page.getByTestId("msg-assistant").first();
  // About 5 s of streaming words; kill LAP a few words in.
  await expect(reply).toContainText("w2", { timeout: 30_000 });
  await expect(page.getByTestId("connection")).toContainText("live");
  await killLap();
  await expect(page.getByTestId("connection")).toContainText("reconnecting");
  await shot(page, "session-restart-reconnecting");

  await startLap();
  const expected = `Here is a long answer to "tell me a slow story": ${Array.from({ length: 40 }, (_, i) => `w${i}`).join(" ")} done.`;
  await expect(reply).toHaveText(expected, { timeout: 60_000 });
  await expect(page.getByTestId("connection")).toContainText("live");
  await expect(page.getByTestId("chat-status")).toContainText("idle");
  await expect(page.getByTestId("msg-user")).toHaveCount(1);
  await expect(page.getByTestId("msg-assistant")).toHaveCount(1);
  await expect(page.getByText("LAP restarted; the turn was re-attached")).toBeVisible();

  // The conversation carries on: the next message is answered on the restarted LAP.
  await page.getByLabel("Message").fill("and a quick one");
  await page.getByRole("button", { name: "Send" }).click();
  await expect(page.getByTestId("msg-assistant").nth(1)).toContainText("You said: and a quick one");
  await expect(page.getByTestId("msg-assistant")).toHaveCount(2);
  await shot(page, "session-restart-carried-on");

  // The stored log agrees with the screen: every event once, seqs without holes, and the turn was
  // re-attached by the restarted LAP (not finished before the kill).
  const sessionId = /\/sessions\/([^/?#]+)/.exec(page.url())![1]!;
  const events = (await api("GET", `/api/sessions/${sessionId}/events?limit=1000`)).data as Array<{
    seq: number;
    type: string;
    data: { content?: Array<{ text: string }> };
  }>;
  expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
  const firstTurnText = events
    .slice(0, events.findIndex((e) => e.type === "session.status_idle") + 1)
    .filter((e) => e.type === "agent.message")
    .map((e) => e.data.content![0]!.text)
    .join("");
  expect(firstTurnText.replaceAll("**", "")).toBe(expected);
  expect(events.filter((e) => e.type === "session.recovered")).toHaveLength(1);
});
