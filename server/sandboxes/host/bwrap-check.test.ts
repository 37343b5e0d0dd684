// What LAP says when bubblewrap cannot make a sandbox: the reason from bwrap itself and the fix for where
// LAP runs. The failure is real: an outer bubblewrap stands for a container whose /proc is masked (as
// Docker's default is), and the check runs inside it as a non-root user.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { classifyBwrapError, detectPlace, fixFor } from "./bwrap-check";
import { checkBubblewrap } from "./preflight";
import { SandboxUsers } from "./sandbox-user";

const ROOT = join(import.meta.dir, "..", "..", "..");
const hasBwrap = Bun.which("bwrap") !== null;
const isRoot = process.getuid?.() === 0;
const setpriv = Bun.which("setpriv");

describe("bubblewrap check", () => {
  test("sorts bwrap's own messages into the problems LAP has a fix for", () => {
    expect(classifyBwrapError("bwrap: Can't mount proc on /newroot/proc: Operation not permitted")).toBe("proc");
    expect(
      classifyBwrapError(
        "bwrap: No permissions to creating new namespace, likely because the kernel does not allow non-privileged user namespaces.",
      ),
    ).toBe("user-namespaces");
    expect(classifyBwrapError("bwrap: Creating new namespace failed: Operation not permitted")).toBe("user-namespaces");
    expect(classifyBwrapError("bwrap: setting up uid map: Permission denied")).toBe("user-namespaces");
    expect(classifyBwrapError("bwrap: Failed to make / slave: Permission denied")).toBe("mounts");
    expect(classifyBwrapError("bwrap: execvp true: No such file or directory")).toBe("other");
  });

  test("names the container option for each problem and each place", () => {
    expect(fixFor("proc", "container")).toContain("--security-opt systempaths=unconfined");
    expect(fixFor("user-namespaces", "container")).toContain("--security-opt seccomp=unconfined");
    expect(fixFor("user-namespaces", "container")).toContain("apparmor=unconfined");
    expect(fixFor("mounts", "container")).toContain("apparmor=unconfined");
    expect(fixFor("proc", "kubernetes")).toContain("procMount: Unmasked");
    expect(fixFor("user-namespaces", "kubernetes")).toContain("seccompProfile");
    expect(fixFor("user-namespaces", "host")).toContain("user.max_user_namespaces");
    expect(fixFor("missing", "host")).toContain("apt-get install -y bubblewrap");
  });

  test("tells a pod, a container and a host apart", () => {
    expect(detectPlace({ KUBERNETES_SERVICE_HOST: "10.0.0.1" })).toBe("kubernetes");
    expect(detectPlace({ container: "podman" })).toBe("container");
  });

  test("a bwrap that is not installed is `missing`, with how to install it", () => {
    const check = checkBubblewrap({ bwrap: "bwrap-that-is-not-installed", user: new SandboxUsers().forProbe(), env: {} });
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.problem).toBe("missing");
  });

  test.skipIf(!hasBwrap)("succeeds where sandboxes work (this machine), naming the version", () => {
    const check = checkBubblewrap({ user: new SandboxUsers().forProbe() });
    expect(check).toMatchObject({ ok: true });
    if (check.ok) expect(check.version).toMatch(/^bubblewrap \d/);
  });

  // As root, an outer bwrap (no user namespace) stands for the container runtime: its /proc has
  // read-only covers, so the unprivileged user namespace inside may not mount a new /proc.
  test.skipIf(!hasBwrap || !isRoot || !setpriv)(
    "inside a container with a masked /proc, as a non-root user: `proc`, and the fix names systempaths=unconfined",
    () => {
      // Already non-root: the probe runs as this uid (no uid to drop to).
      const script = `import { checkBubblewrap } from "${join(ROOT, "server/sandboxes/host/preflight.ts")}"; console.log(JSON.stringify(checkBubblewrap({ user: null, env: { container: "docker" } })));`;
      // A checkout under /tmp (a clone made there) stays visible under the fresh /tmp, with Bun in it.
      const underTmp = ROOT.startsWith("/tmp/") ? ["--bind", ROOT, ROOT] : [];
      const r = Bun.spawnSync(
        [
          "bwrap",
          "--dev-bind",
          "/",
          "/",
          "--unshare-pid",
          "--proc",
          "/proc",
          "--perms",
          "1777",
          "--tmpfs",
          "/tmp",
          ...underTmp,
          "--",
          setpriv!,
          "--reuid=65534",
          "--regid=65534",
          "--clear-groups",
          process.execPath,
          "-e",
          script,
        ],
        { stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH, HOME: "/tmp", BUN_RUNTIME_TRANSPILER_CACHE_PATH: "0" } },
      );
      expect(r.stderr.toString()).toBe("");
      const check = JSON.parse(r.stdout.toString());
      expect(check).toMatchObject({ ok: false, problem: "proc" });
      expect(check.reason).toContain("Can't mount proc");
      expect(check.fix).toContain("systempaths=unconfined");
    },
  );
});
