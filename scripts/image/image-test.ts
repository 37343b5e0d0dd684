/**
 * The image test: builds the root Dockerfile as CI would ship it, runs the image and holds a session in it.
 *   bun scripts/image/image-test.ts [--report <file.json>] [--no-harness-image]
 * 1. the base image (scripts/image/base-image.sh: debootstrap, cached in /var/cache/lap-image) and
 *    `podman build --isolation=chroot --layers` of the real Dockerfile (and of deploy/images/Dockerfile);
 * 2. the image's config (non-root USER, HEALTHCHECK, VOLUME) and size against IMAGE_SIZE_TARGET_MB;
 * 3. `podman create` + `podman mount`, then the image's ENTRYPOINT + CMD with its ENV, WORKDIR and USER
 *    (scripts/image/container.ts: namespaces, pivot_root, no capabilities, read-only root) against a fresh
 *    database on the test PostgreSQL: readiness, the dashboard, the HEALTHCHECK command, `lap doctor`,
 *    a session with the built-in agent in a bubblewrap sandbox answering through LAP's gateway from the
 *    scripted model (test/support/scripted-model), and a clean stop on SIGTERM;
 * 4. the same image under Docker's default /proc masking: LAP says at start-up that local sandboxes
 *    cannot start and why, `lap doctor` names the container option, and a session fails with that
 *    reason instead of running unisolated.
 * Prints one line per check and `image: N passed, N failed, N skipped`; podman missing (and not
 * installable: not root) makes every check SKIPPED with the reason. Cleans up even when a check fails.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freshPostgresUrl } from "../../test/support/db.ts";
import { startScriptedModel, type ScriptedModel } from "../../test/support/scripted-model/index.ts";
import { resolveUser, runInContainer, type ContainerOptions } from "./container.ts";
import { Checks, type Status } from "./checks.ts";
import { checkHarnessImage } from "./harness-image.ts";
import { type Cleanups, type Lap, ms, startLap, stopLap, volumeDir, waitForSpendRows, waitUntil } from "./lap-in-image.ts";
import { build, envList, inspectImage, mountImage, must, podmanProblem, type ImageConfig } from "./podman.ts";

const ROOT = join(import.meta.dir, "..", "..");
/** The README's stated target for the LAP image (uncompressed, as `podman image inspect` reports it). */
export const IMAGE_SIZE_TARGET_MB = 1650;
const TAG = "localhost/lap:ci";
const HARNESS_TAG = "localhost/lap-harness-opencode:ci";
const CONTAINER = `lap-image-test-${process.pid}`;
const MASTER_KEY = `image-test-master-${crypto.randomUUID()}`;
const MODEL = "scripted-coder-1";
const PROVIDER_KEY = "sk-image-test-provider";

const checks = new Checks();
const check = checks.check.bind(checks);
const cleanups: Cleanups = [];

async function main(): Promise<void> {
  const problem = await podmanProblem();
  if (problem) {
    for (const name of [
      "base image",
      "build",
      "image config",
      "image size",
      "readiness",
      "dashboard",
      "healthcheck",
      "doctor",
      "session",
      "stop",
      "no configuration",
      "container options",
      "harness image",
    ])
      checks.record(name, "skip", problem, 0);
    return;
  }

  let config: ImageConfig = {};
  await check(
    "base image (debootstrap, cached per machine)",
    async () => {
      const t = performance.now();
      const image = (await must(["bash", join(ROOT, "scripts/image/base-image.sh")])).trim();
      return `${image} ready in ${ms(t)}`;
    },
    { gate: true },
  );

  await check(
    "podman build of the root Dockerfile (--isolation=chroot --layers)",
    async () => {
      const t = performance.now();
      mkdirSync(join(ROOT, ".cache"), { recursive: true });
      await build({ context: ROOT, tag: TAG, log: join(ROOT, ".cache", "image-build.log") });
      return `built ${TAG} in ${ms(t)} (log: .cache/image-build.log)`;
    },
    { gate: true },
  );

  let size = 0;
  await check(
    "image config: non-root USER, HEALTHCHECK on readiness, VOLUME for LAP_DATA_DIR, tini entrypoint",
    async () => {
      const inspected = await inspectImage(TAG);
      config = inspected.config;
      size = inspected.size;
      const env = envList(config.Env);
      const problems: string[] = [];
      if (!config.User || /^(root|0)(:|$)/.test(config.User)) problems.push(`USER is ${config.User || "unset (root)"}`);
      if (!config.Healthcheck?.Test?.join(" ").includes("/health/readiness"))
        problems.push(`HEALTHCHECK ${JSON.stringify(config.Healthcheck)} does not ask /health/readiness`);
      if (!env.LAP_DATA_DIR || !Object.keys(config.Volumes ?? {}).includes(env.LAP_DATA_DIR))
        problems.push(`LAP_DATA_DIR ${env.LAP_DATA_DIR} is not a VOLUME (${Object.keys(config.Volumes ?? {})})`);
      if (!config.Entrypoint?.[0]?.endsWith("tini"))
        problems.push(`ENTRYPOINT ${JSON.stringify(config.Entrypoint)} does not start with tini`);
      if (config.Cmd?.join(" ") !== "up") problems.push(`CMD is ${JSON.stringify(config.Cmd)}, not ["up"]`);
      if (problems.length) throw new Error(problems.join("\n"));
      return `USER ${config.User}, ENTRYPOINT ${JSON.stringify(config.Entrypoint)} CMD ${JSON.stringify(config.Cmd)}, WORKDIR ${config.WorkingDir}`;
    },
    { gate: true },
  );

  await check(`image size within the README's target (${IMAGE_SIZE_TARGET_MB} MB)`, async () => {
    const mb = size / 1e6;
    const history = JSON.parse(await must(["podman", "history", "--format", "json", TAG])) as Array<{ size: number; CreatedBy: string }>;
    const layers = history
      .filter((l) => l.size > 1e6)
      .sort((a, b) => b.size - a.size)
      .slice(0, 6)
      .map((l) => `  ${(l.size / 1e6).toFixed(0).padStart(5)} MB  ${l.CreatedBy.replace(/^\/bin\/sh -c (#\(nop\) )?/, "").slice(0, 100)}`)
      .join("\n");
    const line = `${mb.toFixed(0)} MB uncompressed; largest layers:\n${layers}`;
    if (mb > IMAGE_SIZE_TARGET_MB) throw new Error(`${line}\nover the target of ${IMAGE_SIZE_TARGET_MB} MB`);
    return line;
  });

  const mounted = await mountImage(TAG, CONTAINER).catch((err: Error) => {
    checks.blocked = `podman create + mount failed: ${err.message}`;
    return null;
  });
  if (mounted) cleanups.push(() => mounted.release());
  const rootfs = mounted?.rootfs ?? "";
  const user = mounted ? await resolveUser(rootfs, config.User ?? "root") : { uid: 0, gid: 0 };
  const volume = envList(config.Env).LAP_DATA_DIR ?? "/var/lib/lap";
  const container = (data: string, extra: Partial<ContainerOptions> = {}): Omit<ContainerOptions, "argv" | "env"> => ({
    rootfs,
    uid: user.uid,
    gid: user.gid,
    workdir: config.WorkingDir || "/",
    data: { host: data, volume },
    readOnlyRoot: true,
    ...extra,
  });

  const database = await freshPostgresUrl("lap_image").catch((err: Error) => {
    checks.blocked = `no test PostgreSQL (${err.message}); set LAP_TEST_PG_URL`;
    return null;
  });
  if (database) cleanups.push(() => database.drop());
  const model: ScriptedModel = startScriptedModel({ models: [MODEL], apiKey: PROVIDER_KEY });
  cleanups.push(() => model.stop());
  const lapEnv = {
    LAP_ENV: "production",
    MASTER_KEY,
    ENCRYPTION_KEY: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64"),
    DATABASE_URL: database?.url ?? "",
    WARM_POOL_SIZE: "0",
    // podman sets this in every container; LAP's bubblewrap check reads it to give container advice.
    container: "podman",
  };

  let lap: Lap | undefined;
  await check(
    "readiness: the image's ENTRYPOINT + CMD as its USER, read-only root, fresh PostgreSQL database",
    async () => {
      const t = performance.now();
      lap = await startLap(container(volumeDir(user.uid, user.gid, cleanups)), config, lapEnv, MASTER_KEY, cleanups);
      await waitUntil(
        "GET /health/readiness to answer 200",
        async () => (await fetch(`${lap!.url}/health/readiness`)).status === 200,
        90_000,
        lap.output,
      );
      return `ready in ${ms(t)} at ${lap.url}`;
    },
    { gate: true },
  );

  await check("dashboard and API reference served (index.html, its script, /docs/scalar.js)", async () => {
    const res = await fetch(`${lap!.url}/`);
    const html = await res.text();
    if (res.status !== 200 || !/<div id="?app|<script[^>]+src="\/assets\//.test(html))
      throw new Error(`GET / answered ${res.status}: ${html.slice(0, 300)}`);
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    if (!script) throw new Error(`no /assets/*.js in ${html.slice(0, 300)}`);
    const asset = await fetch(`${lap!.url}${script}`);
    if (asset.status !== 200 || !(asset.headers.get("content-type") ?? "").includes("javascript"))
      throw new Error(`GET ${script} answered ${asset.status} ${asset.headers.get("content-type")}`);
    const size = (await asset.arrayBuffer()).byteLength;
    // The image keeps only Scalar's browser bundle (Dockerfile, stage 3): the API reference must still load.
    const scalar = await fetch(`${lap!.url}/docs/scalar.js`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
    if (scalar.status !== 200) throw new Error(`GET /docs/scalar.js answered ${scalar.status}`);
    return `GET / 200, ${script} 200 (${size} bytes), /docs/scalar.js 200 (${(await scalar.arrayBuffer()).byteLength} bytes)`;
  });

  await check("HEALTHCHECK command passes inside the image", async () => {
    const test = config.Healthcheck?.Test ?? [];
    const argv = test[0] === "CMD" ? test.slice(1) : test[0] === "CMD-SHELL" ? ["/bin/sh", "-c", test[1]!] : test;
    const port = new URL(lap!.url).port;
    const r = await runInContainer(
      { ...container(volumeDir(user.uid, user.gid, cleanups)), env: { ...envList(config.Env), PORT: port }, argv },
      30_000,
    );
    if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr || r.stdout}`);
    return `${argv.slice(0, 2).join(" ")} … exit 0`;
  });

  await check("lap doctor in the image: bubblewrap can create sandboxes as the non-root user", async () => {
    const argv = [...(config.Entrypoint ?? []), "doctor", "--json"];
    const r = await runInContainer(
      { ...container(volumeDir(user.uid, user.gid, cleanups)), env: { ...envList(config.Env), ...lapEnv, PORT: "0" }, argv },
      60_000,
    );
    const checks = JSON.parse(r.stdout) as Array<{ name: string; ok: boolean; detail: string; fix?: string }>;
    const bwrap = checks.find((c) => c.name === "bubblewrap");
    if (!bwrap?.ok) throw new Error(`bubblewrap: ${JSON.stringify(bwrap)}\n${r.stderr}`);
    const failed = checks.filter((c) => !c.ok && c.name !== "Chromium");
    if (failed.length) throw new Error(`failed checks: ${JSON.stringify(failed)}`);
    return checks.map((c) => `${c.ok ? "✓" : "!"} ${c.name}: ${c.detail}`).join("\n");
  });

  await check("session: built-in agent in a bubblewrap sandbox answers through LAP's gateway from the scripted model", async () => {
    const t = performance.now();
    model.setScript([
      {
        when: "where are you",
        steps: [
          { kind: "run", command: "uname -n; id -u; test -w /usr && echo usr-writable || echo usr-read-only" },
          { kind: "text", text: "I am in the sandbox." },
        ],
      },
    ]);
    const added = await lap!.api("POST", "/model/new", {
      model_name: "coder",
      litellm_params: { model: `openai/${MODEL}`, api_base: `${model.url}/v1`, api_key: PROVIDER_KEY },
    });
    if (added.status !== 200) throw new Error(`POST /model/new: ${added.status} ${JSON.stringify(added.body)}`);
    const agent = await lap!.api<{ id: string }>("POST", "/api/agents", {
      name: "image-test",
      model: "coder",
      runtime_id: "rt_local_sandbox",
      harness: "builtin",
    });
    if (agent.status !== 201) throw new Error(`POST /api/agents: ${agent.status} ${JSON.stringify(agent.body)}`);
    const session = await lap!.api<{ id: string }>("POST", "/api/sessions", { agent_id: agent.body.id });
    if (session.status !== 201) throw new Error(`POST /api/sessions: ${session.status} ${JSON.stringify(session.body)}`);
    const sent = await lap!.api("POST", `/api/sessions/${session.body.id}/messages`, { text: "where are you?" });
    if (sent.status !== 202) throw new Error(`POST messages: ${sent.status} ${JSON.stringify(sent.body)}`);
    type Event = { type: string; data: Record<string, unknown> };
    const events = await waitUntil(
      "the turn to end (session.status_idle after an agent.message)",
      async () => {
        const list = (await lap!.api<{ data: Event[] }>("GET", `/api/sessions/${session.body.id}/events?limit=1000`)).body.data;
        if (list.some((e) => e.type === "session.error")) throw new Error(JSON.stringify(list.filter((e) => e.type === "session.error")));
        return list.some((e) => e.type === "agent.message") && list.at(-1)?.type === "session.status_idle" ? list : null;
      },
      120_000,
      lap!.output,
    ).catch(async (err: Error) => {
      const list = (await lap!.api<{ data: Event[] }>("GET", `/api/sessions/${session.body.id}/events?limit=1000`)).body.data;
      throw new Error(`${err.message}\nevents: ${JSON.stringify(list.map((e) => [e.type, JSON.stringify(e.data).slice(0, 400)]))}`);
    });
    const result = JSON.stringify(events.find((e) => e.type === "agent.tool_result")?.data ?? {});
    // The reply streams as text deltas.
    const reply = events
      .filter((e) => e.type === "agent.message")
      .flatMap((e) => (e.data.content as Array<{ text?: string }> | undefined) ?? [])
      .map((c) => c.text ?? "")
      .join("");
    if (!result.includes("lap-sandbox"))
      throw new Error(`the command did not run in a bubblewrap sandbox (hostname lap-sandbox): ${result}`);
    if (!result.includes("usr-read-only")) throw new Error(`the sandbox could write /usr: ${result}`);
    if (!reply.includes("I am in the sandbox.")) throw new Error(`reply: ${reply}`);
    const calls = model.requests.filter((r) => r.model === MODEL);
    if (!calls.length || calls.some((r) => r.authorization !== PROVIDER_KEY))
      throw new Error(
        `the scripted provider saw ${calls.length} calls (keys: ${[...new Set(calls.map((r) => r.authorization.slice(0, 6)))]})`,
      );
    const rows = await waitForSpendRows(lap!, session.body.id, calls.length);
    return `turn answered in ${ms(t)}: ${calls.length} model call(s) through the gateway, ${rows.length} spend row(s); the command ran on host lap-sandbox with /usr read-only`;
  });

  await check("stops on SIGTERM (tini forwards it; LAP shuts down cleanly)", async () => {
    const t = performance.now();
    const code = await stopLap(lap!);
    if (code !== 0) throw new Error(`exit code ${code}\n${lap!.output.text().slice(-3000)}`);
    if (!/LAP stopped/.test(lap!.output.text())) throw new Error(`no "LAP stopped" log line:\n${lap!.output.text().slice(-2000)}`);
    return `exit 0 in ${ms(t)}`;
  });

  await check("`docker run lap` with no configuration: embedded PGlite and generated keys in the volume", async () => {
    const t = performance.now();
    const data = volumeDir(user.uid, user.gid, cleanups);
    const bare = await startLap(container(data), config, { container: "podman" }, MASTER_KEY, cleanups);
    const banner = await waitUntil(
      "the banner with a generated master key",
      async () => /master key \(generated now/.test(bare.output.text()) && bare.output.text(),
      120_000,
      bare.output,
    );
    if ((await fetch(`${bare.url}/health/readiness`)).status !== 200) throw new Error("not ready after the banner");
    const stored = await Bun.file(join(data, "master.key"))
      .text()
      .catch(() => "");
    if (!stored.trim() || !banner.includes(stored.trim()))
      throw new Error(`master.key in the volume (${stored.length} bytes) is not the key the banner shows`);
    await stopLap(bare);
    return `ready in ${ms(t)}; master key and PGlite data in the volume`;
  });

  await check(
    "container options missing (Docker's default /proc masking): LAP says so at start-up, doctor names the fix, a session fails with the reason",
    async () => {
      const data = volumeDir(user.uid, user.gid, cleanups);
      const base = container(data, { maskProc: true });
      const doctor = await runInContainer(
        { ...base, env: { ...envList(config.Env), ...lapEnv, PORT: "0" }, argv: [...(config.Entrypoint ?? []), "doctor", "--json"] },
        60_000,
      );
      const bwrap = (
        JSON.parse(doctor.stdout) as Array<{ name: string; ok: boolean; detail: string; fix?: string; required: boolean }>
      ).find((c) => c.name === "bubblewrap");
      if (!bwrap || bwrap.ok || !bwrap.required || !bwrap.fix?.includes("systempaths=unconfined"))
        throw new Error(`doctor's bubblewrap check: ${JSON.stringify(bwrap)}`);
      if (doctor.code !== 1) throw new Error(`lap doctor exited ${doctor.code}, expected 1 (a required check failed)`);
      const masked = await startLap(base, config, lapEnv, MASTER_KEY, cleanups);
      await waitUntil("readiness", async () => (await fetch(`${masked.url}/health/readiness`)).status === 200, 90_000, masked.output);
      const said = await waitUntil(
        "the start-up message",
        async () => /local sandboxes cannot start/.test(masked.output.text()) && masked.output.text(),
        10_000,
        masked.output,
      );
      if (!said.includes("systempaths=unconfined")) throw new Error(`the start-up message does not name the fix:\n${said.slice(-3000)}`);
      const callsBefore = model.requests.length;
      const agent = await masked.api<{ id: string }>("POST", "/api/agents", {
        name: "masked",
        model: "coder",
        runtime_id: "rt_local_sandbox",
        harness: "builtin",
      });
      const session = await masked.api<{ id: string }>("POST", "/api/sessions", { agent_id: agent.body.id });
      await masked.api("POST", `/api/sessions/${session.body.id}/messages`, { text: "where are you?" });
      const error = await waitUntil(
        "the session to fail with the reason",
        async () => {
          const body =
            JSON.stringify((await masked.api("GET", `/api/sessions/${session.body.id}/events?limit=1000`)).body) +
            JSON.stringify((await masked.api("GET", `/api/sessions/${session.body.id}`)).body);
          return /cannot create a sandbox|systempaths/.test(body) ? body : null;
        },
        60_000,
        masked.output,
      );
      // Nothing ran without isolation: the model was never asked.
      const ran = model.requests.length - callsBefore;
      await stopLap(masked);
      if (ran !== 0) throw new Error(`the model was called ${ran} time(s) although no sandbox could start`);
      return `doctor: ${bwrap.detail.slice(0, 160)}…\nfix: ${bwrap.fix}\nsession: ${/"message":"([^"]{0,200})/.exec(error)?.[1] ?? error.slice(0, 200)} (no model call)`;
    },
  );

  checks.blocked = null;
  if (process.argv.includes("--no-harness-image")) return;
  await check("harness image (deploy/images/Dockerfile, opencode) builds the same way and its supervisor starts", () =>
    checkHarnessImage({ root: ROOT, tag: HARNESS_TAG, container: CONTAINER, cleanups }),
  );
}

async function cleanup() {
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      await fn();
    } catch (err) {
      console.error(`cleanup: ${(err as Error).message}`);
    }
  }
}

for (const sig of ["SIGINT", "SIGTERM"] as const)
  process.once(sig, () => {
    cleanup().finally(() => process.exit(1));
  });

const reportAt = process.argv.indexOf("--report");
const started = performance.now();
try {
  await main();
} catch (err) {
  checks.record("image test", "fail", (err as Error).stack ?? String(err), 0);
} finally {
  await cleanup();
}
const count = (s: Status) => checks.count(s);
if (reportAt > 0)
  writeFileSync(
    process.argv[reportAt + 1]!,
    JSON.stringify({ seconds: (performance.now() - started) / 1000, results: checks.results }, null, 2),
  );
console.log(`image: ${count("pass")} passed, ${count("fail")} failed, ${count("skip")} skipped`);
process.exit(count("fail") ? 1 : 0);
