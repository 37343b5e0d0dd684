import { afterEach, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { ChildOutput } from "./child-output";

// A child that prints a banner, then 1 MB of log lines (far more than a 64 KB pipe holds), then exits.
const CHATTY = `
process.stderr.write("Dashboard http://127.0.0.1:1/\\nLog in with your MASTER_KEY.\\n");
const line = "x".repeat(99) + "\\n";
for (let i = 0; i < 10_000; i++) process.stderr.write(i + line);
process.stderr.write("the last words\\n");
`;
const spawned: Subprocess[] = [];
const chatty = () => {
  const proc = Bun.spawn([process.execPath, "-e", CHATTY], { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  spawned.push(proc);
  return proc;
};
afterEach(async () => {
  for (const p of spawned.splice(0)) {
    p.kill("SIGKILL");
    await p.exited;
  }
});

const exitedWithin = (proc: Subprocess, ms: number) => Promise.race([proc.exited.then(() => true), Bun.sleep(ms).then(() => false)]);

test("a chatty child whose stderr nobody reads after start-up blocks; drained by ChildOutput it runs to the end", async () => {
  // The defect: read until the banner, then never again.
  const stuck = chatty();
  const reader = stuck.stderr.getReader();
  await reader.read();
  reader.releaseLock();
  expect(await exitedWithin(stuck, 3_000)).toBe(false);

  const proc = chatty();
  const out = new ChildOutput(proc.stderr, 4_096);
  expect(await out.waitFor(/Dashboard\s+http:\/\/\S+\/[\s\S]*Log in/, 10_000)).toContain("Dashboard http://127.0.0.1:1/");
  expect(await exitedWithin(proc, 10_000)).toBe(true);
  const text = await out.finished;
  // The first and last 4 KB are kept (the banner, the end), the middle is counted.
  expect(text.startsWith("Dashboard http://127.0.0.1:1/")).toBe(true);
  expect(text.endsWith("the last words\n")).toBe(true);
  expect(text).toMatch(/\[… \d+ characters left out …\]/);
  expect(text.length).toBeLessThan(9_000);
}, 30_000);

test("waitFor fails with what was read when the child exits, or the time passes, without the pattern", async () => {
  const quiet = Bun.spawn([process.execPath, "-e", `process.stderr.write("boom: no database\\n"); process.exit(3)`], { stderr: "pipe" });
  spawned.push(quiet);
  const out = new ChildOutput(quiet.stderr);
  await expect(out.waitFor(/Log in/, 10_000, "lap up")).rejects.toThrow(/lap up closed its output before printing .*\n.*boom: no database/);
  expect(await quiet.exited).toBe(3);

  const silent = Bun.spawn([process.execPath, "-e", `process.stderr.write("starting\\n"); setTimeout(() => {}, 10_000)`], {
    stderr: "pipe",
  });
  spawned.push(silent);
  const slow = new ChildOutput(silent.stderr);
  await expect(slow.waitFor(/Log in/, 300, "lap up")).rejects.toThrow(/printed no \/Log in\/ within 300 ms:\nstarting/);
}, 30_000);
