/**
 * Load for bench/gateway/profile.ts, in its own process so the profiled process's CPU is LAP's alone.
 * Runs each phase at a fixed concurrency and prints `start <phase>` / `end <phase>` lines that the
 * profiled process times its CPU by. Usage: bun profile-client.ts URL KEY N CONCURRENCY
 */
export {};

const [url, key, nArg, concArg] = process.argv.slice(2);
const N = Number(nArg);
const CONCURRENCY = Number(concArg);

const plain = JSON.stringify({
  model: "bench-model",
  messages: [
    { role: "system", content: "You are a benchmark." },
    { role: "user", content: "Say hello in a short sentence." },
  ],
  max_tokens: 50,
});
const streamed = JSON.stringify({
  model: "bench-model",
  messages: [{ role: "user", content: "Stream a short sentence back to me." }],
  stream: true,
});

async function one(body: string) {
  const res = await fetch(url!, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
}

async function phase(label: string, body: string, n: number) {
  console.log(`start ${label} ${n}`);
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < n) await one(body);
    }),
  );
  console.log(`end ${label} ${n}`);
}

await phase("warm-up-plain", plain, 1000);
await phase("warm-up-stream", streamed, 300);
await phase("plain", plain, N);
await phase("stream", streamed, Math.floor(N / 2));
