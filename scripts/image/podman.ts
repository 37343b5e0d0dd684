/**
 * The podman steps of the image test (scripts/image/image-test.ts): build a Dockerfile with
 * `--isolation=chroot` (no container runtime needed), read the image's config, and get its filesystem
 * with `podman create` + `podman mount` (podman run itself cannot work on these machines: crun cannot
 * set rlimits here). Every object made is named, so cleanup can remove exactly it.
 */
import { existsSync } from "node:fs";

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export async function run(
  cmd: string[],
  opts: { cwd?: string; env?: Record<string, string | undefined>; quiet?: boolean } = {},
): Promise<Run> {
  const proc = Bun.spawn(cmd, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

export async function must(cmd: string[], opts: Parameters<typeof run>[1] = {}): Promise<string> {
  const r = await run(cmd, opts);
  if (r.code !== 0)
    throw new Error(`${cmd.slice(0, 3).join(" ")} … exited ${r.code}: ${(r.stderr || r.stdout).trim().split("\n").slice(-15).join("\n")}`);
  return r.stdout;
}

/** Why podman cannot be used here, or null when it can. */
export async function podmanProblem(): Promise<string | null> {
  if (!Bun.which("podman"))
    return process.getuid?.() === 0
      ? "podman is not installed (apt-get install -y podman debootstrap)"
      : "podman is not installed and this is not root, so it cannot be installed";
  if (process.getuid?.() !== 0) return "not root: building with --isolation=chroot and mounting the image's filesystem need root";
  if (!Bun.which("unshare")) return "util-linux unshare is missing";
  const info = await run(["podman", "info", "--format", "{{.Store.GraphDriverName}}"]);
  return info.code === 0 ? null : `podman info failed: ${info.stderr.trim().slice(0, 300)}`;
}

/** A file of extra CAs for the build's HTTPS (a TLS-inspecting proxy on this machine), if there is one. */
export function buildCaFile(env: Record<string, string | undefined> = process.env): string | undefined {
  for (const f of [env.LAP_BUILD_CA, env.NODE_EXTRA_CA_CERTS, env.SSL_CERT_FILE]) if (f && existsSync(f)) return f;
  return undefined;
}

export async function build(opts: {
  context: string;
  file?: string;
  tag: string;
  buildArgs?: Record<string, string>;
  log: string;
}): Promise<void> {
  const ca = buildCaFile();
  const args = ["podman", "build", "--isolation=chroot", "--layers", "--format", "docker", "--tag", opts.tag];
  if (opts.file) args.push("--file", opts.file);
  if (ca) args.push("--secret", `id=build_ca,src=${ca}`);
  for (const [k, v] of Object.entries(opts.buildArgs ?? {})) args.push("--build-arg", `${k}=${v}`);
  args.push(opts.context);
  const r = await run(args);
  await Bun.write(opts.log, `$ ${args.join(" ")}\n${r.stdout}\n${r.stderr}`);
  if (r.code !== 0) {
    await removeBuildLeftovers();
    throw new Error(
      `podman build exited ${r.code} (log: ${opts.log}):\n${(r.stderr || r.stdout).trim().split("\n").slice(-20).join("\n")}`,
    );
  }
  // Each change of the sources leaves untagged layers behind; those unused for a week go (the cache stays warm).
  await run(["podman", "image", "prune", "--force", "--filter", "until=168h"]);
}

/** A failed build leaves its working containers (and their overlay mounts) behind; nothing else makes them. */
async function removeBuildLeftovers(): Promise<void> {
  const list = await run(["podman", "ps", "--all", "--external", "--format", "{{.ID}} {{.Names}}"]);
  for (const line of list.stdout.split("\n")) {
    const [id, name] = line.split(" ");
    if (id && name && /-working-container(-\d+)?$/.test(name)) await run(["podman", "rm", "--force", id]);
  }
}

export interface ImageConfig {
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Env?: string[] | null;
  WorkingDir?: string;
  User?: string;
  ExposedPorts?: Record<string, unknown> | null;
  Volumes?: Record<string, unknown> | null;
  Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; Retries?: number } | null;
}

export async function inspectImage(tag: string): Promise<{ config: ImageConfig; size: number; id: string }> {
  const [image] = JSON.parse(await must(["podman", "image", "inspect", tag])) as Array<{
    Id: string;
    Size: number;
    Config: ImageConfig;
    Healthcheck?: ImageConfig["Healthcheck"];
  }>;
  if (!image) throw new Error(`no image ${tag}`);
  // podman reports a docker-format image's HEALTHCHECK beside the config (docker inside it).
  const config = { ...image.Config, Healthcheck: image.Config.Healthcheck ?? image.Healthcheck ?? null };
  return { config, size: image.Size, id: image.Id };
}

/** `podman create` + `podman mount`: the image's filesystem at a path, and how to let go of it. */
export async function mountImage(tag: string, name: string): Promise<{ rootfs: string; release(): Promise<void> }> {
  await run(["podman", "rm", "--force", name]);
  await must(["podman", "create", "--name", name, tag]);
  const rootfs = (await must(["podman", "mount", name])).trim();
  return {
    rootfs,
    async release() {
      await run(["podman", "umount", "--force", name]);
      await run(["podman", "rm", "--force", name]);
    },
  };
}

export function envList(env: string[] | null | undefined): Record<string, string> {
  return Object.fromEntries((env ?? []).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
}
