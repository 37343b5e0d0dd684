import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { Writable } from "node:stream";
import { createApp } from "../app";
import { loadConfig } from "../config/load";
import type { Database } from "../db/client";
import { testDatabase } from "../../test/support/db";
import { waitFor } from "../../test/support/api-client";

const lines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk, _enc, cb) {
    for (const l of String(chunk).split("\n")) if (l) lines.push(JSON.parse(l));
    cb();
  },
});
let database: Database;
let app: ReturnType<typeof createApp>["app"];
const MASTER = "logging-master-key-123";

beforeAll(async () => {
  database = await testDatabase();
  const config = loadConfig({ LAP_DATA_DIR: mkdtempSync(join(tmpdir(), "lap-log-")), MASTER_KEY: MASTER });
  const logger = pino({ level: "info", redact: { paths: ["*.authorization"], censor: "[redacted]" } }, sink);
  ({ app } = createApp({ config, database, logger, rawEnv: {} }));
}, 60_000);
afterAll(() => database?.close());

describe("structured logs", () => {
  test("one JSON line per request with its request id, and no secret", async () => {
    const res = await app.handle(
      new Request("http://localhost/api/keys", {
        method: "POST",
        headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
        body: JSON.stringify({ label: "logged" }),
      }),
    );
    const token = (await res.json()).token as string;
    await app.handle(new Request("http://localhost/api/nope", { headers: { "x-request-id": "req-42" } }));
    await waitFor("both request lines", () => lines.filter((l) => l.msg === "request").length >= 2, 4_000);
    const requestLines = lines.filter((l) => l.msg === "request");
    expect(requestLines.length).toBe(2);
    expect(requestLines[0]).toMatchObject({ method: "POST", path: "/api/keys", status: 201 });
    expect(requestLines[0]!.request_id).toBe(res.headers.get("x-request-id")!);
    expect(requestLines[1]).toMatchObject({ request_id: "req-42", status: 404 });
    expect(typeof requestLines[0]!.duration_ms).toBe("number");
    const all = JSON.stringify(lines);
    expect(all).not.toContain(MASTER);
    expect(all).not.toContain(token);
  });
});
