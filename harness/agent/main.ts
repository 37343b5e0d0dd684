/**
 * Entry of the built-in agent harness: a process the supervisor starts inside the sandbox.
 * Reads HarnessCommand lines on stdin, writes normalized events on stdout (harness/protocol.ts).
 */
import { hardenProcess, preferForOomKill } from "../harden";
import { encodeLine, type HarnessCommand, readJsonLines } from "../protocol";
import { AgentLoop } from "./loop";

// Before hardening (which makes /proc/self root's): past the memory limit, this process goes before the supervisor.
preferForOomKill((m) => console.error(`[agent] ${m}`));
// It holds the session key; the commands it runs for the agent must not read its memory.
hardenProcess((m) => console.error(`[agent] ${m}`));

const out = (event: unknown) => process.stdout.write(encodeLine(event));
let loop: AgentLoop | null = null;
let pendingHistory: (HarnessCommand & { type: "history" }) | null = null;

for await (const raw of readJsonLines(Bun.stdin.stream() as ReadableStream<Uint8Array>, (l) =>
  console.error(`bad command line: ${l.slice(0, 200)}`),
)) {
  const cmd = raw as HarnessCommand;
  if (cmd.type === "configure") {
    void loop?.mcp?.close();
    // A warm harness was started before its session was known: what the binding added comes here.
    if (cmd.config.env) Object.assign(process.env, cmd.config.env);
    // Programs the agent runs (bash) can find LAP's MCP endpoints too; URLs only, no key.
    if (cmd.config.mcp)
      Object.assign(process.env, { LAP_MCP_URL: cmd.config.mcp.url, LAP_MCP_SERVERS: JSON.stringify(cmd.config.mcp.servers) });
    loop = new AgentLoop(cmd.config, out, process.env.HTTP_PROXY || undefined);
    if (pendingHistory) loop.loadHistory(pendingHistory.events);
  } else if (cmd.type === "history") {
    if (loop) loop.loadHistory(cmd.events);
    else pendingHistory = cmd;
  } else if (cmd.type === "turn") {
    if (!loop) out({ type: "session.error", error: { message: "harness is not bound to a session yet" } });
    else void loop.turn(cmd.content);
  } else if (cmd.type === "tool_confirmation") {
    if (!loop) out({ type: "session.error", error: { message: "harness is not bound to a session yet" } });
    else void loop.confirm(cmd.confirmation);
  } else if (cmd.type === "interrupt") {
    loop?.interrupt();
  } else if (cmd.type === "start") {
    // Nothing to start beyond this process, which runs already (a warm pre-start, harness/protocol.ts).
    out({ type: "harness.prepared", ok: true });
  }
}
