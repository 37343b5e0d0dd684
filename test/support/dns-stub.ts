/**
 * A tiny DNS server on loopback (UDP, A and AAAA only) standing for the internet's DNS, so tests can
 * make a name resolve to anything (a public address, then 127.0.0.1: DNS rebinding) without
 * /etc/hosts or the network. `resolver` is the hook LAP's destination check takes
 * (server/net/destinations.ts), asking this server through node's DNS client.
 */
import dgram from "node:dgram";
import { Resolver } from "node:dns/promises";
import type { Resolver as LapResolver } from "../../server/net/destinations";

export interface DnsStub {
  /** Answers for a name: one list per query in turn, the last one repeated (["203.0.113.9"], ["127.0.0.1"]). */
  set(name: string, ...answers: string[][]): void;
  /** How many A queries the name got. */
  queries(name: string): number;
  resolver: LapResolver;
  port: number;
  close(): Promise<void>;
}

function readName(msg: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let i = offset;
  while (msg[i]! > 0) {
    labels.push(msg.subarray(i + 1, i + 1 + msg[i]!).toString("latin1"));
    i += msg[i]! + 1;
  }
  return { name: labels.join(".").toLowerCase(), end: i + 1 };
}

function v6Bytes(address: string): Buffer {
  const [head = "", tail = ""] = address.split("::");
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = address.includes("::") ? [...h, ...Array(8 - h.length - t.length).fill("0"), ...t] : h;
  return Buffer.from(groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 255]));
}

export async function startDnsStub(): Promise<DnsStub> {
  const table = new Map<string, string[][]>();
  const counts = new Map<string, number>();
  const socket = dgram.createSocket("udp4");
  socket.on("message", (msg, rinfo) => {
    const { name, end } = readName(msg, 12);
    const type = msg.readUInt16BE(end);
    const question = msg.subarray(12, end + 4);
    const steps = table.get(name);
    let answers: string[] = [];
    if (steps && type === 1) {
      const n = counts.get(name) ?? 0;
      counts.set(name, n + 1);
      answers = steps[Math.min(n, steps.length - 1)]!;
    } else if (steps) answers = steps[Math.min(Math.max((counts.get(name) ?? 1) - 1, 0), steps.length - 1)]!;
    const wanted = answers.filter((a) => (type === 28 ? a.includes(":") : type === 1 && !a.includes(":")));
    const header = Buffer.alloc(12);
    header.writeUInt16BE(msg.readUInt16BE(0), 0);
    header.writeUInt16BE(steps ? 0x8180 : 0x8183, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(wanted.length, 6);
    const records = wanted.map((a) => {
      const data = a.includes(":") ? v6Bytes(a) : Buffer.from(a.split(".").map(Number));
      const rr = Buffer.alloc(12);
      rr.writeUInt16BE(0xc00c, 0);
      rr.writeUInt16BE(type, 2);
      rr.writeUInt16BE(1, 4);
      rr.writeUInt32BE(0, 6);
      rr.writeUInt16BE(data.length, 10);
      return Buffer.concat([rr, data]);
    });
    socket.send(Buffer.concat([header, question, ...records]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const port = socket.address().port;
  const client = new Resolver({ timeout: 2000, tries: 1 });
  client.setServers([`127.0.0.1:${port}`]);
  return {
    port,
    set(name, ...answers) {
      table.set(name.toLowerCase(), answers);
      counts.delete(name.toLowerCase());
    },
    queries: (name) => counts.get(name.toLowerCase()) ?? 0,
    // A first (it counts the query), then AAAA for the same step.
    resolver: async (host) => {
      const v4 = await client
        .resolve4(host)
        .catch((err: { code?: string }) => (err.code === "ENODATA" || err.code === "ENOTFOUND" ? [] : Promise.reject(err)));
      const v6 = await client.resolve6(host).catch(() => [] as string[]);
      if (!v4.length && !v6.length) throw Object.assign(new Error(`${host}: no address`), { code: "ENOTFOUND" });
      return [...v4.map((address) => ({ address, family: 4 as const })), ...v6.map((address) => ({ address, family: 6 as const }))];
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
