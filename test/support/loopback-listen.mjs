/**
 * Node preload (`node --import`) for MCP servers started by tests: forces every HTTP listener onto
 * 127.0.0.1 (servers like server-everything bind all interfaces) and prints the real port as
 * `LAP_TEST_LISTENING <port>` on stderr, so tests can use port 0.
 */
import net from "node:net";

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  this.once("listening", () => {
    const addr = this.address();
    if (addr && typeof addr === "object") process.stderr.write(`LAP_TEST_LISTENING ${addr.port}\n`);
  });
  if (typeof args[0] === "number" || typeof args[0] === "string") {
    const port = Number(args[0]);
    const rest = args.slice(1).filter((a) => typeof a === "function");
    return listen.call(this, port, "127.0.0.1", ...rest);
  }
  return listen.apply(this, args);
};
