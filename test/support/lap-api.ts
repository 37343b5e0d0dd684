// A real LAP (startLap: HTTP server on port 0, on testDatabase(): PGlite or PostgreSQL per LAP_TEST_DB)
// with its gateway in front of the scripted model (test/support/scripted-model, standing for the
// LLM providers), and a small client that talks to it the way a user does: over HTTP with a key.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningLap, startLap } from "../../server/main.ts";
import { type ApiResponse, lapClient, type SessionEvent as StoredEvent } from "./api-client.ts";
import { testDatabase } from "./db.ts";
import { type ScriptedModel, startScriptedModel } from "./scripted-model/index.ts";

/** The key the tests use for LAP itself (MASTER_KEY). */
export const MASTER_KEY = "harness-api-master-key";
export const PROVIDER_KEY = "sk-provider-real-key-never-in-sandbox";
/** The model name the scripted provider knows; the gateway's model names route to it. */
export const UPSTREAM_MODEL = "scripted-coder-1";
/** Gateway model names by wire format: Anthropic Messages, and OpenAI chat completions + Responses. */
export const GATEWAY_MODELS = { anthropic: "claude-scripted", openai: "gpt-scripted" } as const;

export type { ApiResponse, SessionEvent as StoredEvent } from "./api-client.ts";
export { waitFor } from "./api-client.ts";

export type LapUnderTest = {
  lap: RunningLap;
  model: ScriptedModel;
  dataDir: string;
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>>;
  events(sessionId: string): Promise<StoredEvent[]>;
  stop(): Promise<void>;
};

/** `env` adds to or overrides LAP's environment (a bench turns the warm pool on with WARM_POOL_SIZE). */
export async function startLapWithScriptedModel(env: Record<string, string> = {}): Promise<LapUnderTest> {
  const master = MASTER_KEY;
  const model = startScriptedModel({ models: [UPSTREAM_MODEL], apiKey: PROVIDER_KEY });
  const dataDir = mkdtempSync(join(tmpdir(), "lap-harness-api-"));
  const lapEnv: Record<string, string> = {
    LAP_DATA_DIR: dataDir,
    PORT: "0",
    MASTER_KEY: master,
    LOG_LEVEL: "silent",
    LAP_GATEWAY_SPEND_FLUSH_MS: "50",
    WARM_POOL_SIZE: "0",
    PATH: process.env.PATH ?? "",
    // OpenClaw's own install, when it is not in .tools/openclaw (test/support/skip.ts OPENCLAW_MISSING looks in the same place).
    ...(process.env.LAP_OPENCLAW_DIR ? { LAP_OPENCLAW_DIR: process.env.LAP_OPENCLAW_DIR } : {}),
    ...env,
  };
  // A copy of the migrated template (PGlite: built once per `bun test` process and shared by every
  // file; PostgreSQL: a fresh database, dropped when LAP closes it).
  const lap = await startLap(lapEnv, { database: await testDatabase() });
  const { api, events } = lapClient(() => lap.url, master);
  // The gateway's models, added the way a user adds them (dashboard or API), both routed to the scripted
  // provider with its key: Anthropic Messages for Claude Code, OpenAI chat completions + Responses for the others.
  for (const [name, params] of [
    [GATEWAY_MODELS.anthropic, { model: `anthropic/${UPSTREAM_MODEL}`, api_base: model.url, api_key: PROVIDER_KEY }],
    [GATEWAY_MODELS.openai, { model: `openai/${UPSTREAM_MODEL}`, api_base: `${model.url}/v1`, api_key: PROVIDER_KEY }],
  ] as const) {
    const added = await api<unknown>("POST", "/model/new", { model_name: name, litellm_params: params });
    if (added.status !== 200 || JSON.stringify(added.body).includes(PROVIDER_KEY))
      throw new Error(`POST /model/new ${name}: ${added.status} ${JSON.stringify(added.body)}`);
  }
  return {
    lap,
    model,
    dataDir,
    api,
    events,
    async stop() {
      await lap.stop();
      await model.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Reads `GET /api/sessions/:id/stream` (SSE) as a browser's EventSource would, until `until` says
 * stop or `ms` pass. Returns the events in the order they arrived.
 */
export function readSse(
  url: string,
  key: string,
  until: (events: StoredEvent[]) => boolean,
  ms = 120_000,
): { events: Promise<StoredEvent[]>; close(): void } {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), ms);
  const events = (async () => {
    const seen: StoredEvent[] = [];
    try {
      const res = await fetch(url, { headers: { authorization: `Bearer ${key}`, accept: "text/event-stream" }, signal: abort.signal });
      const decoder = new TextDecoder();
      let buffer = "";
      for await (const chunk of res.body as ReadableStream<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end = buffer.indexOf("\n\n");
        while (end >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame.split("\n").find((line) => line.startsWith("data: "));
          if (data) seen.push(JSON.parse(data.slice(6)) as StoredEvent);
          end = buffer.indexOf("\n\n");
        }
        if (until(seen)) break;
      }
    } catch (err) {
      if ((err as Error).name !== "AbortError") throw err;
    } finally {
      clearTimeout(timer);
      abort.abort();
    }
    return seen;
  })();
  return { events, close: () => abort.abort() };
}

/** Every process below `root` (from /proc), to find a harness CLI inside a sandbox's process tree. */
export function descendants(root: number): { pid: number; argv: string[] }[] {
  const children = new Map<number, number[]>();
  for (const entry of new Bun.Glob("[0-9]*").scanSync({ cwd: "/proc", onlyFiles: false })) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // The command name may hold spaces and parentheses: the ppid is the 2nd field after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process ended while we looked.
    }
  }
  const out: { pid: number; argv: string[] }[] = [];
  const queue = [...(children.get(root) ?? [])];
  while (queue.length) {
    const pid = queue.shift()!;
    try {
      out.push({ pid, argv: readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean) });
    } catch {
      continue;
    }
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}
