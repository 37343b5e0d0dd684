/**
 * The built-in agent's tools. They run inside the sandbox, so bubblewrap is the real boundary;
 * paths are still kept inside the workspace (and /tmp) so the unisolated `process` provider
 * cannot be talked into editing LAP's own files by a confused model.
 */
import { mkdir } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve } from "node:path";

export interface ToolContext {
  workspace: string;
  signal: AbortSignal;
  /** Outbound HTTP for web_fetch: LAP's egress proxy (HTTP_PROXY inside the sandbox). */
  proxy?: string;
}

export interface ToolResult {
  output: string;
  isError: boolean;
}

type Args = Record<string, unknown>;

export interface ToolDefinition {
  name: string;
  description: string;
  parameters: { type: "object"; properties: Record<string, unknown>; required: string[] };
  run(args: Args, ctx: ToolContext): Promise<string>;
}

const MAX_OUTPUT = 30_000;
const clip = (text: string) =>
  text.length > MAX_OUTPUT ? `${text.slice(0, MAX_OUTPUT)}\n[... ${text.length - MAX_OUTPUT} more characters cut]` : text;

class ToolInputError extends Error {}

function str(args: Args, name: string, optional = false): string {
  const v = args[name];
  if (v === undefined && optional) return "";
  if (typeof v !== "string") throw new ToolInputError(`\`${name}\` must be a string`);
  return v;
}
function num(args: Args, name: string, def: number): number {
  const v = args[name];
  if (v === undefined || v === null) return def;
  if (typeof v !== "number" || !Number.isFinite(v)) throw new ToolInputError(`\`${name}\` must be a number`);
  return v;
}

export function insideWorkspace(ctx: ToolContext, path: string): string {
  const full = resolve(ctx.workspace, path);
  for (const root of [ctx.workspace, "/tmp"]) {
    const rel = relative(root, full);
    if (rel === "" || (!rel.startsWith("..") && !isAbsolute(rel))) return full;
  }
  throw new ToolInputError(`${path} is outside the workspace (${ctx.workspace})`);
}

const bash: ToolDefinition = {
  name: "bash",
  description: "Run a bash command in the workspace. Returns the exit code and combined stdout/stderr.",
  parameters: {
    type: "object",
    properties: { command: { type: "string" }, timeout_ms: { type: "number", description: "default 120000" } },
    required: ["command"],
  },
  async run(args, ctx) {
    const command = str(args, "command");
    const timeout = num(args, "timeout_ms", 120_000);
    // Own process group, so an interrupt or timeout also ends what the command started (sleep, servers).
    // process.env as it is now (Bun would pass the environment from start-up, without LAP_MCP_*).
    const proc = Bun.spawn(["/bin/bash", "-c", command], {
      cwd: ctx.workspace,
      env: { ...process.env },
      stdout: "pipe",
      stderr: "pipe",
      stdin: "ignore",
      detached: true,
    });
    const kill = () => {
      try {
        process.kill(-proc.pid, "SIGKILL");
      } catch {
        proc.kill("SIGKILL");
      }
    };
    ctx.signal.addEventListener("abort", kill, { once: true });
    const timer = setTimeout(kill, timeout);
    try {
      const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
      const how = ctx.signal.aborted ? "interrupted" : proc.signalCode ? `killed by ${proc.signalCode}` : `exit code ${code}`;
      return clip(`${how}\n${out}${err ? (out ? "\n" : "") + err : ""}`);
    } finally {
      clearTimeout(timer);
      ctx.signal.removeEventListener("abort", kill);
    }
  },
};

const read: ToolDefinition = {
  name: "read",
  description: "Read a text file. Lines are numbered from 1; use offset/limit for large files.",
  parameters: {
    type: "object",
    properties: { path: { type: "string" }, offset: { type: "number" }, limit: { type: "number" } },
    required: ["path"],
  },
  async run(args, ctx) {
    const file = Bun.file(insideWorkspace(ctx, str(args, "path")));
    if (!(await file.exists())) throw new ToolInputError(`${str(args, "path")} does not exist`);
    const lines = (await file.text()).split("\n");
    const offset = Math.max(1, num(args, "offset", 1));
    const limit = num(args, "limit", 2000);
    return clip(
      lines
        .slice(offset - 1, offset - 1 + limit)
        .map((l, i) => `${offset + i}\t${l}`)
        .join("\n"),
    );
  },
};

const write: ToolDefinition = {
  name: "write",
  description: "Create or overwrite a file with the given content (parent folders are created).",
  parameters: { type: "object", properties: { path: { type: "string" }, content: { type: "string" } }, required: ["path", "content"] },
  async run(args, ctx) {
    const path = insideWorkspace(ctx, str(args, "path"));
    const content = str(args, "content");
    await mkdir(dirname(path), { recursive: true });
    await Bun.write(path, content);
    return `wrote ${Buffer.byteLength(content)} bytes to ${str(args, "path")}`;
  },
};

const edit: ToolDefinition = {
  name: "edit",
  description: "Replace old_string with new_string in a file. old_string must match exactly once unless replace_all is true.",
  parameters: {
    type: "object",
    properties: {
      path: { type: "string" },
      old_string: { type: "string" },
      new_string: { type: "string" },
      replace_all: { type: "boolean" },
    },
    required: ["path", "old_string", "new_string"],
  },
  async run(args, ctx) {
    const path = insideWorkspace(ctx, str(args, "path"));
    const oldString = str(args, "old_string");
    const newString = str(args, "new_string");
    const file = Bun.file(path);
    if (!(await file.exists())) throw new ToolInputError(`${str(args, "path")} does not exist`);
    const text = await file.text();
    const count = oldString ? text.split(oldString).length - 1 : 0;
    if (count === 0) throw new ToolInputError("old_string was not found in the file");
    if (count > 1 && args.replace_all !== true)
      throw new ToolInputError(`old_string matches ${count} times; add context or set replace_all`);
    await Bun.write(path, args.replace_all === true ? text.split(oldString).join(newString) : text.replace(oldString, () => newString));
    return `replaced ${args.replace_all === true ? count : 1} occurrence(s) in ${str(args, "path")}`;
  },
};

const SKIP = /(^|\/)(\.git|node_modules)\//;

const glob: ToolDefinition = {
  name: "glob",
  description: "List files matching a glob pattern (for example src/**/*.ts), relative to the workspace.",
  parameters: { type: "object", properties: { pattern: { type: "string" } }, required: ["pattern"] },
  async run(args, ctx) {
    const found: string[] = [];
    for await (const p of new Bun.Glob(str(args, "pattern")).scan({ cwd: ctx.workspace, dot: false })) {
      if (SKIP.test(p)) continue;
      found.push(p);
      if (found.length >= 1000) break;
    }
    return found.sort().join("\n") || "no files match";
  },
};

const grep: ToolDefinition = {
  name: "grep",
  description: "Search file contents with a regular expression. Returns path:line:text for each match.",
  parameters: {
    type: "object",
    properties: {
      pattern: { type: "string" },
      glob: { type: "string", description: "which files, default **/*" },
      ignore_case: { type: "boolean" },
    },
    required: ["pattern"],
  },
  async run(args, ctx) {
    let re: RegExp;
    try {
      re = new RegExp(str(args, "pattern"), args.ignore_case === true ? "i" : "");
    } catch (e) {
      throw new ToolInputError(`bad regular expression: ${(e as Error).message}`);
    }
    const hits: string[] = [];
    for await (const p of new Bun.Glob(str(args, "glob", true) || "**/*").scan({ cwd: ctx.workspace })) {
      if (SKIP.test(p)) continue;
      const file = Bun.file(resolve(ctx.workspace, p));
      if (file.size > 2_000_000) continue;
      const text = await file.text();
      if (text.includes("\u0000")) continue;
      text.split("\n").forEach((line, i) => {
        if (hits.length < 500 && re.test(line)) hits.push(`${p}:${i + 1}:${line}`);
      });
      if (hits.length >= 500) break;
    }
    return clip(hits.join("\n") || "no matches");
  },
};

const webFetch: ToolDefinition = {
  name: "web_fetch",
  description: "Fetch a URL (GET) through LAP's egress proxy; only hosts the agent is allowed to reach answer.",
  parameters: { type: "object", properties: { url: { type: "string" } }, required: ["url"] },
  async run(args, ctx) {
    const url = str(args, "url");
    if (!/^https?:\/\//.test(url)) throw new ToolInputError("url must start with http:// or https://");
    if (!ctx.proxy) throw new ToolInputError("web access is not configured for this sandbox");
    const res = await fetch(url, { proxy: ctx.proxy, signal: ctx.signal });
    return clip(`HTTP ${res.status}\n${await res.text()}`);
  },
};

export const TOOLS: ToolDefinition[] = [bash, read, write, edit, glob, grep, webFetch];

export async function runTool(name: string, rawArgs: string, ctx: ToolContext): Promise<ToolResult> {
  const tool = TOOLS.find((t) => t.name === name);
  if (!tool) return { output: `unknown tool ${name}; available: ${TOOLS.map((t) => t.name).join(", ")}`, isError: true };
  let args: Args;
  try {
    const parsed = rawArgs.trim() ? JSON.parse(rawArgs) : {};
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
    args = parsed as Args;
  } catch {
    return { output: "tool arguments must be a JSON object", isError: true };
  }
  try {
    return { output: await tool.run(args, ctx), isError: false };
  } catch (e) {
    return { output: e instanceof Error ? e.message : String(e), isError: true };
  }
}
