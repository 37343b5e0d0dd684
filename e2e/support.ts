import { expect, type Page } from "@playwright/test";
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const MASTER_KEY = "e2e-master-key-0123456789";
/** Screenshots are kept (committed examples live in docs/screenshots). */
export const SHOTS = join(dirname(fileURLToPath(import.meta.url)), "..", ".cache", "screenshots");
mkdirSync(SHOTS, { recursive: true });

export async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

export async function login(page: Page, key = MASTER_KEY) {
  await page.goto("/login");
  await page.getByLabel("Master key or admin API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  // Admins land on the home page (its get-started checklist).
  await expect(page.getByTestId("get-started")).toBeVisible();
}

/**
 * Follows a sidebar link. The home page's Overview panels link to the same pages (a "Sessions" chart title,
 * say), so a page-wide link lookup is ambiguous; the sidebar is the one navigation landmark.
 */
export async function navTo(page: Page, name: RegExp) {
  await page.getByRole("navigation").getByRole("link", { name }).click();
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

export interface FakeProcess {
  url: string;
  stop(): void;
}

/**
 * Starts one of test/support's stand-ins for an internet service (an LLM provider) in its own Bun
 * process, and resolves with the URL it prints as JSON (`{"url": …}`) on its first line.
 */
export async function startFakeProcess(script: string, args: string[] = []): Promise<FakeProcess> {
  const child = spawn(join(ROOT, ".tools/node_modules/.bin/bun"), [script, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.once("data", (d: Buffer) => resolve(JSON.parse(d.toString().split("\n")[0]!).url));
    child.once("exit", () => reject(new Error(`${script} exited`)));
  });
  return { url, stop: () => void child.kill() };
}

/** Serves a fetch-style handler on node:http (these tests run under Node, the fakes are fetch handlers). */
export function serve(handle: (req: Request) => Promise<Response>, port = 0): Promise<{ server: Server; url: string }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? Buffer.concat(chunks) : undefined;
    const response = await handle(
      new Request(`http://127.0.0.1${req.url}`, {
        method: req.method,
        headers: req.headers as Record<string, string>,
        body: req.method === "GET" ? undefined : body,
      }),
    );
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (response.body) for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) res.write(chunk);
    res.end();
  });
  return new Promise((resolve) =>
    server.listen(port, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` })),
  );
}
