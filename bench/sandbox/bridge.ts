/**
 * What the HTTP-aware LAP bridge (server/sandboxes/host/lap-bridge.ts) costs over the byte pipe it
 * replaced: the same small POST sent to a stand-in LAP directly, through a byte pipe on a Unix
 * socket, and through the bridge; sequential latency and a streamed response's time to first byte.
 * `bun bench/sandbox/bridge.ts [requests]`; prints a markdown table.
 */
import { mkdtempSync } from "node:fs";
import net from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { listenLapBridge } from "../../server/sandboxes/host/lap-bridge";

const N = Number(process.argv[2] ?? 2000);
const lap = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    await req.text();
    if (new URL(req.url).pathname === "/mcp") {
      return new Response(new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode("data: 1\n\n")), c.close()) }), {
        headers: { "content-type": "text/event-stream" },
      });
    }
    return Response.json({ id: "chatcmpl", choices: [{ message: { role: "assistant", content: "ok" } }] });
  },
});
const dir = mkdtempSync(join(tmpdir(), "lap-bridge-bench-"));
// The old bridge: a byte pipe to LAP's port.
const pipe = net.createServer((client) => {
  const up = net.connect(lap.port!, "127.0.0.1");
  client.pipe(up);
  up.pipe(client);
  const close = () => (client.destroy(), up.destroy());
  client.on("error", close);
  up.on("error", close);
});
await new Promise<void>((r) => pipe.listen(join(dir, "pipe.sock"), () => r()));
const bridge = listenLapBridge(join(dir, "bridge.sock"), () => ({ host: "127.0.0.1", port: lap.port! }));

const body = JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] });
const send = (how: "direct" | "pipe" | "bridge", path = "/v1/chat/completions", method = "POST") =>
  fetch(how === "direct" ? `http://127.0.0.1:${lap.port}${path}` : `http://lap${path}`, {
    method,
    body: method === "POST" ? body : undefined,
    headers: { authorization: "Bearer sk-x", "content-type": "application/json" },
    ...(how === "direct" ? {} : { unix: join(dir, `${how}.sock`) }),
  } as RequestInit);

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const rows: string[] = [];
const load = loadavg()[0]!.toFixed(1);
for (const how of ["direct", "pipe", "bridge"] as const) for (let i = 0; i < 200; i++) await (await send(how)).text();
const lat: Record<string, number[]> = { direct: [], pipe: [], bridge: [] };
const ttfb: Record<string, number[]> = { direct: [], pipe: [], bridge: [] };
for (let i = 0; i < N; i++) {
  for (const how of ["direct", "pipe", "bridge"] as const) {
    let t = performance.now();
    await (await send(how)).text();
    lat[how]!.push(performance.now() - t);
    if (i % 4 === 0) {
      t = performance.now();
      const res = await send(how, "/mcp", "GET");
      await res.body!.getReader().read();
      ttfb[how]!.push(performance.now() - t);
      await res.body?.cancel().catch(() => {});
    }
  }
}
rows.push("| path | p50 (ms) | p99 (ms) | stream first byte p50 (ms) | p99 (ms) |", "|---|---|---|---|---|");
for (const how of ["direct", "pipe", "bridge"] as const) {
  rows.push(
    `| ${how} | ${pct(lat[how]!, 50).toFixed(3)} | ${pct(lat[how]!, 99).toFixed(3)} | ${pct(ttfb[how]!, 50).toFixed(3)} | ${pct(ttfb[how]!, 99).toFixed(3)} |`,
  );
}
console.log(
  `${N} sequential requests per path, alternating; load average (1 min) at start ${load}, ${navigator.hardwareConcurrency} cores.\n`,
);
console.log(rows.join("\n"));
await bridge.close();
pipe.close();
lap.stop(true);
