/**
 * The harness image check of the image test: deploy/images/Dockerfile (opencode) built the same way as
 * the LAP image, and its supervisor started from the image's filesystem as a warm pod starts it.
 */
import { join } from "node:path";
import { ChildOutput } from "../../test/support/child-output.ts";
import { killContainer, resolveUser, startContainer } from "./container.ts";
import { type Cleanups, freePort, ms, waitUntil } from "./lap-in-image.ts";
import { build, envList, inspectImage, mountImage } from "./podman.ts";

export async function checkHarnessImage(opts: { root: string; tag: string; container: string; cleanups: Cleanups }): Promise<string> {
  const { root, tag, cleanups } = opts;
  const t = performance.now();
  const version = ((await Bun.file(join(root, "node_modules/opencode-ai/package.json")).json()) as { version: string }).version;
  await build({
    context: root,
    file: join(root, "deploy/images/Dockerfile"),
    tag,
    buildArgs: { HARNESS: "opencode", CLI_PACKAGE: `opencode-ai@${version}` },
    log: join(root, ".cache", "harness-image-build.log"),
  });
  const { config, size } = await inspectImage(tag);
  const mounted = await mountImage(tag, `${opts.container}-harness`);
  cleanups.push(() => mounted.release());
  const user = await resolveUser(mounted.rootfs, config.User ?? "root");
  const port = await freePort();
  // As a warm pod starts (no token yet: LAP's first /lap/bind brings it), on loopback for the test.
  const env = { ...envList(config.Env), LAP_SUPERVISOR_PORT: String(port), LAP_SUPERVISOR_HOST: "127.0.0.1" };
  const argv = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
  // Root filesystem writable, as the SandboxTemplates leave it (their pods write /workspace).
  const proc = startContainer({
    rootfs: mounted.rootfs,
    uid: user.uid,
    gid: user.gid,
    workdir: config.WorkingDir || "/",
    env,
    argv,
    readOnlyRoot: false,
  });
  cleanups.push(() => killContainer(proc));
  const out = new ChildOutput(proc.stderr);
  new ChildOutput(proc.stdout);
  const health = await waitUntil(
    "the supervisor's /health",
    async () => {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      return res.ok ? ((await res.json()) as { harness?: { name: string; state: string } }) : null;
    },
    30_000,
    out,
  );
  killContainer(proc);
  if (health.harness?.name !== "opencode") throw new Error(`the supervisor runs ${JSON.stringify(health.harness)}, not opencode`);
  return `built ${tag} (${(size / 1e6).toFixed(0)} MB) in ${ms(t)}; its supervisor answered /health as ${config.User}, harness ${health.harness.name} ${health.harness.state}`;
}
