/**
 * Runs INSIDE a stdio MCP server's jail when the server has `network: true` (docs/security.md,
 * "Stdio MCP servers"): the jail's network namespace has only loopback, so this listens on
 * 127.0.0.1:<port> (HTTP(S)_PROXY of the server), pipes each connection to LAP's egress proxy on the
 * Unix socket bound in from the host, and runs the server itself as a child on the same stdin,
 * stdout and stderr, exiting with its status. Self-contained (node:net only): it is bound into the
 * jail alone. It writes nothing to stdout, which is the server's MCP channel.
 *
 * argv: <port> <socket> -- <command> [args...]
 */
import net from "node:net";

const [portArg, socketPath, sep, ...command] = process.argv.slice(2);
const port = Number(portArg);
if (!Number.isInteger(port) || !socketPath || sep !== "--" || !command.length) {
  process.stderr.write("egress-bridge: usage: <port> <socket> -- <command> [args...]\n");
  process.exit(2);
}

const server = net.createServer((client) => {
  const upstream = net.connect(socketPath!);
  client.pipe(upstream);
  upstream.pipe(client);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on("error", close);
  upstream.on("error", close);
  client.on("close", close);
  upstream.on("close", close);
});

server.once("error", (err) => {
  process.stderr.write(`egress-bridge: cannot listen on 127.0.0.1:${port}: ${err.message}\n`);
  process.exit(126);
});

server.listen(port, "127.0.0.1", async () => {
  let child: ReturnType<typeof Bun.spawn>;
  try {
    child = Bun.spawn(command, { stdin: "inherit", stdout: "inherit", stderr: "inherit", env: process.env });
  } catch (err) {
    process.stderr.write(`egress-bridge: cannot start ${command[0]}: ${(err as Error).message}\n`);
    process.exit(127);
  }
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(signal, () => child.kill(signal));
  const code = await child.exited;
  process.exit(child.signalCode ? 128 + 15 : code);
});
