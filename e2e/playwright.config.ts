import { defineConfig } from "@playwright/test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "./free-port";

// Dashboard tests run under Node with Debian's chromium against a real LAP started by `lap up`
// on a fresh embedded database. Flags keep chromium off the network (the machines have none).
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const PORT = Number(process.env.LAP_E2E_PORT ?? (await freePort()));
export const E2E_MASTER_KEY = "e2e-master-key-0123456789";
const dataDir = process.env.LAP_E2E_DATA_DIR ?? mkdtempSync(join(tmpdir(), "lap-e2e-"));
process.env.LAP_E2E_DATA_DIR = dataDir;
process.env.LAP_E2E_PORT = String(PORT);
// The Slack page's test serves a fake Slack Web API on this port (test/support/fake-slack.ts).
const SLACK_PORT = Number(process.env.LAP_E2E_SLACK_PORT ?? (await freePort()));
process.env.LAP_E2E_SLACK_PORT = String(SLACK_PORT);
// The Integrations page's test serves a fake Linear API and consent page on this port (test/support/fake-linear.ts).
const LINEAR_PORT = Number(process.env.LAP_E2E_LINEAR_PORT ?? (await freePort()));
process.env.LAP_E2E_LINEAR_PORT = String(LINEAR_PORT);

export default defineConfig({
  testDir: ".",
  testMatch: /.*\.e2e\.ts$/,
  outputDir: join(ROOT, ".cache", "e2e-output"),
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 30_000,
  reporter: [["list"], ["json"]],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
    viewport: { width: 1280, height: 800 },
    // A failure leaves a trace in .cache/e2e-output (npx playwright show-trace) to see what happened.
    trace: "retain-on-failure",
  },
  webServer: {
    command: `${join(ROOT, ".tools/node_modules/.bin/bun")} bin/lap.ts up`,
    cwd: ROOT,
    url: `http://127.0.0.1:${PORT}/health/readiness`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: "ignore",
    stderr: "pipe",
    // BASE_URL is the address the browser uses, as in a deployment: OAuth redirects (Linear's install) come back to it.
    env: {
      PORT: String(PORT),
      HOST: "127.0.0.1",
      BASE_URL: `http://127.0.0.1:${PORT}`,
      LAP_DATA_DIR: dataDir,
      MASTER_KEY: E2E_MASTER_KEY,
      LOG_LEVEL: "warn",
      SLACK_SIGNING_SECRET: "e2e-slack-signing-secret",
      SLACK_BOT_TOKEN: "xoxb-e2e",
      SLACK_CLIENT_ID: "e2e-client",
      SLACK_CLIENT_SECRET: "e2e-client-secret",
      SLACK_API_URL: `http://127.0.0.1:${SLACK_PORT}/api/`,
      LINEAR_CLIENT_ID: "lin-client-id",
      LINEAR_CLIENT_SECRET: "lin-client-secret-0123456789",
      LINEAR_WEBHOOK_SECRET: "lin_wh_secret_0123456789abcdef",
      LAP_LINEAR_API_URL: `http://127.0.0.1:${LINEAR_PORT}`,
      LAP_LINEAR_AUTHORIZE_URL: `http://127.0.0.1:${LINEAR_PORT}/oauth/authorize`,
    },
  },
});
