import { expect, test } from "bun:test";
import { spawnCli } from "../process.ts";
import { JsonRpc, type Notification, RpcError } from "./rpc.ts";

// A small JSON-RPC peer in its own process, answering the way `codex app-server` does: `echo` returns
// its params, `fail` an error, `ask` makes the server send a request of its own, `exit` ends the process.
const PEER = `
const out = (m) => process.stdout.write(JSON.stringify(m) + "\\n");
let buffer = "";
process.stdin.on("data", (chunk) => {
  buffer += chunk;
  let at;
  while ((at = buffer.indexOf("\\n")) >= 0) {
    const line = buffer.slice(0, at);
    buffer = buffer.slice(at + 1);
    const m = JSON.parse(line);
    if (m.method === "echo") { out({ method: "note", params: { n: 1 } }); out({ id: m.id, result: m.params }); }
    else if (m.method === "fail") out({ id: m.id, error: { code: -1, message: "nope" } });
    else if (m.method === "ask") out({ id: "srv-1", method: "item/approval", params: {} });
    else if (m.id === "srv-1") out({ method: "answered", params: { error: m.error, result: m.result } });
    else if (m.method === "exit") process.exit(3);
  }
});
`;

test("requests resolve by id, errors reject, notifications arrive in order, server requests are answered, an exit fails what waits", async () => {
  const notes: Notification[] = [];
  const rpc = new JsonRpc((note) => notes.push(note));
  const cli = spawnCli({
    cmd: [process.execPath, "-e", PEER],
    cwd: import.meta.dir,
    env: { PATH: process.env.PATH ?? "" },
    onLine: (line) => rpc.onLine(line),
  });
  rpc.attach(cli);
  void cli.exited.then((code) => rpc.closed(new RpcError("peer", `exited (code ${code})`)));

  expect(await rpc.request("echo", { a: 1 })).toEqual({ a: 1 });
  // The notification sent before the response was handled before the response resolved.
  expect(notes).toEqual([{ method: "note", params: { n: 1 } }]);
  await expect(rpc.request("fail", {})).rejects.toThrow("fail: nope");

  rpc.notify("ask");
  for (let i = 0; i < 100 && !notes.some((note) => note.method === "answered"); i++) await Bun.sleep(20);
  expect(notes.find((note) => note.method === "answered")?.params).toEqual({ error: { code: -32601, message: "not supported by LAP" } });

  const pending = rpc.request("never-answered", {});
  rpc.notify("exit");
  await expect(pending).rejects.toThrow("exited (code 3)");
  await expect(rpc.request("echo", {})).rejects.toThrow();
});

test("a server request the handler takes is answered with its result, not the error", async () => {
  const notes: Notification[] = [];
  const taken: unknown[] = [];
  const rpc = new JsonRpc(
    (note) => notes.push(note),
    (request) => {
      taken.push(request);
      rpc.respond(request.id, { decision: "accept" });
      return true;
    },
  );
  const cli = spawnCli({
    cmd: [process.execPath, "-e", PEER],
    cwd: import.meta.dir,
    env: { PATH: process.env.PATH ?? "" },
    onLine: (line) => rpc.onLine(line),
  });
  rpc.attach(cli);
  rpc.notify("ask");
  for (let i = 0; i < 100 && !notes.some((note) => note.method === "answered"); i++) await Bun.sleep(20);
  expect(taken).toEqual([{ id: "srv-1", method: "item/approval", params: {} }]);
  expect(notes.find((note) => note.method === "answered")?.params).toEqual({ result: { decision: "accept" } });
  cli.kill("SIGKILL");
  await cli.exited;
});

test("lines that are not JSON-RPC are ignored", () => {
  const notes: Notification[] = [];
  const rpc = new JsonRpc((note) => notes.push(note));
  rpc.onLine("WARNING: proceeding, even though we could not create PATH aliases");
  rpc.onLine(JSON.stringify({ id: 99, result: {} }));
  expect(notes).toEqual([]);
});
