/**
 * WebSocket clients for the delivery-latency benchmark, in their own process so the clients'
 * parsing does not run on LAP's event loop (one process measuring itself would count its own
 * 500 onmessage handlers as delivery latency). Usage:
 *   bun bench/sessions/ws-clients.ts <ws-url> <sockets> <stamped messages per socket>
 * with the Authorization header in BENCH_AUTH. Prints `ready` once every socket is open, then one
 * JSON line `{n, p50, p99, max}` once every socket got its messages. A message's stamp is the
 * sender's `performance.timeOrigin + performance.now()` (epoch milliseconds, shared by processes):
 * `agent.message` events carry it as their text, the bare baseline as `t`.
 */
const [url, countArg, expectedArg] = process.argv.slice(2);
const count = Number(countArg);
const expected = Number(expectedArg);
const headers = process.env.BENCH_AUTH ? { authorization: process.env.BENCH_AUTH } : {};
const now = () => performance.timeOrigin + performance.now();

/** The bare baseline's `"t":<stamp>`, or an agent.message whose text is the stamp. */
const STAMP = /"t":([0-9.]+)|"type":"agent\.message".*?"text":"([0-9.]+)"/;
const lat: number[] = [];
let complete = 0;
const sockets: WebSocket[] = [];
await Promise.all(
  Array.from(
    { length: count },
    () =>
      new Promise<void>((resolve, reject) => {
        const ws = new WebSocket(url!, { headers } as never);
        let got = 0;
        ws.onopen = () => resolve();
        ws.onerror = () => reject(new Error("websocket failed"));
        ws.onmessage = (m) => {
          // A regex instead of JSON.parse: 100,000 messages a second must not make the clients the bottleneck.
          const match = STAMP.exec(String(m.data));
          const stamp = Number(match?.[1] ?? match?.[2]);
          if (!Number.isFinite(stamp)) return;
          lat.push(now() - stamp);
          if (++got === expected && ++complete === count) finish();
        };
        sockets.push(ws);
      }),
  ),
);
console.log("ready");

function finish() {
  lat.sort((a, b) => a - b);
  const at = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))]!;
  console.log(JSON.stringify({ n: lat.length, p50: at(50), p99: at(99), max: lat.at(-1) }));
  for (const s of sockets) s.close();
  process.exit(0);
}
export {};
