/**
 * How fast LAP learns that a claimed sandbox is ready, against the fake API server (loopback, TLS):
 * readiness by watch (what the provider does) versus the baseline of polling every 200 ms (what the
 * system we model did with `waitRunningGetUrl`), measured in the same run on the same fake cluster.
 * Also: a whole warm claim (create → ready → bind) as LAP sees it. Numbers exclude the real cluster's
 * own latency (scheduling, image pull, container start): they are LAP's share only.
 *
 *   bun bench/k8s-readiness/run.ts [iterations=20]
 */
import { cpus, loadavg } from "node:os";
import { kubeTestEnv, eventually, type KubeTestEnv } from "../../test/support/kube-env";

const N = Number(process.argv[2] ?? 20);
const binding = { sessionId: "bench", agentId: "a", gatewayKey: "k", gatewayBaseUrl: "http://lap", model: "m" };

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const row = (name: string, xs: number[]) =>
  `| ${name} | ${xs.length} | ${pct(xs, 50).toFixed(1)} | ${pct(xs, 95).toFixed(1)} | ${Math.max(...xs).toFixed(1)} |`;

async function detection(t: KubeTestEnv, mode: "watch" | "poll"): Promise<number> {
  const { provider } = t.lap;
  const h = await provider.create({ harness: "opencode", env: {}, workspaceId: "bench" });
  let readyAt = 0;
  const done =
    mode === "watch"
      ? provider.waitReady(h.id, { timeoutMs: 10_000 }).then(() => performance.now())
      : (async () => {
          for (;;) {
            if ((await provider.get(h.id))?.state === "ready") return performance.now();
            await Bun.sleep(200);
          }
        })();
  const pod = await eventually(() => t.podOf(h.id));
  await eventually(() => t.fake.store.get("pods", "default", pod));
  await Bun.sleep(20 + Math.random() * 200); // the pod becomes ready at an arbitrary moment
  readyAt = performance.now();
  t.fake.drive(pod, "ready");
  const seen = await done;
  await provider.destroy(h.id);
  return seen - readyAt;
}

async function main() {
  const cold = await kubeTestEnv({ WARM_POOL_SIZE: "0" });
  const watch: number[] = [];
  const poll: number[] = [];
  for (let i = 0; i < N; i++) {
    watch.push(await detection(cold, "watch"));
    poll.push(await detection(cold, "poll"));
  }
  await cold.close();

  const warm = await kubeTestEnv({ WARM_POOL_SIZE: "2" }, { autoReadyMs: 0 });
  const warmClaim: number[] = [];
  for (let i = 0; i < N; i++) {
    await eventually(async () => (await warm.lap.pools.status())[0]?.readyReplicas === 2, 5000);
    const t0 = performance.now();
    const h = await warm.lap.provider.create({ harness: "opencode", env: {}, workspaceId: "bench" });
    const r = await warm.lap.provider.waitReady(h.id, { timeoutMs: 5000 });
    await warm.lap.provider.bind(h.id, binding);
    warmClaim.push(performance.now() - t0);
    if (r.info.launch !== "warm") throw new Error("expected a warm claim");
    await warm.lap.provider.destroy(h.id);
  }
  await warm.close();

  const machine = `nproc ${cpus().length}; ${Bun.spawnSync(["uname", "-a"]).stdout.toString().trim()}; bun ${Bun.version}; load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")} (machine shared with other work)`;
  const table = [
    "| what (ms) | n | p50 | p95 | max |",
    "|---|---|---|---|---|",
    row("pod ready → LAP knows, by watch (LAP)", watch),
    row("pod ready → LAP knows, polling every 200 ms (baseline)", poll),
    row("warm claim: create → ready → bind (LAP + fake controller)", warmClaim),
  ].join("\n");
  const speedup = pct(poll, 50) / Math.max(0.1, pct(watch, 50));
  console.log(table);
  console.log(`\nwatch p50 is ${speedup.toFixed(0)}x lower than 200 ms polling; machine: ${machine}`);
  await Bun.write(
    new URL("./RESULTS.md", import.meta.url),
    `# k8s-readiness results\n\n${new Date().toISOString()} — ${machine}\n\nAgainst test/support/fake-kube-apiserver.ts over loopback TLS (no real cluster: these are LAP's share of the latency only).\n\n${table}\n\nWatch p50 is ${speedup.toFixed(0)}x lower than the 200 ms polling baseline measured in the same run.\n`,
  );
}

await main();
