/**
 * Why bubblewrap could not make a sandbox here, and how to fix it for where LAP runs: a host, a
 * container (Docker, Podman) or a Kubernetes pod. The probe itself is the real jail (./preflight.ts);
 * this sorts its error into a fix. LAP never falls back to running agents without isolation
 * (README.md, "Deploy": the container options).
 */
import { existsSync } from "node:fs";

export type BwrapCheck =
  | { ok: true; version: string }
  | { ok: false; problem: "missing" | "user-namespaces" | "proc" | "mounts" | "other"; reason: string; fix: string };

export type Place = "host" | "container" | "kubernetes";

/** Where this process runs, as far as the fix is concerned. */
export function detectPlace(env: Record<string, string | undefined> = process.env): Place {
  if (env.KUBERNETES_SERVICE_HOST) return "kubernetes";
  if (existsSync("/.dockerenv") || existsSync("/run/.containerenv") || env.container) return "container";
  return "host";
}

const FIXES: Record<Exclude<BwrapCheck, { ok: true }>["problem"], Record<Place, string>> = {
  missing: {
    host: "Install it (Debian/Ubuntu: sudo apt-get install -y bubblewrap), then run `lap doctor`; LAP_SANDBOX=process runs agents without isolation (not recommended).",
    container: "This image lacks bubblewrap: use the LAP image (Dockerfile), which installs it.",
    kubernetes: "This image lacks bubblewrap: use the LAP image (Dockerfile), which installs it.",
  },
  "user-namespaces": {
    host:
      "Allow unprivileged user namespaces: sysctl -w user.max_user_namespaces=15000 (and on Debian kernels before 6.1 kernel.unprivileged_userns_clone=1; " +
      "on Ubuntu 24.04+ kernel.apparmor_restrict_unprivileged_userns=0 or an AppArmor profile for bwrap).",
    container:
      "Start the container with --security-opt seccomp=unconfined (or a seccomp profile allowing clone/unshare of user namespaces) and, on AppArmor hosts, " +
      "--security-opt apparmor=unconfined; the host must allow user namespaces (user.max_user_namespaces > 0). compose.yaml sets these.",
    kubernetes:
      "Give LAP's pod securityContext.seccompProfile {type: Unconfined} (or a Localhost profile allowing user namespaces) and appArmorProfile {type: Unconfined}; " +
      "the node must allow user namespaces. Or run sessions in sandbox pods (LAP_SANDBOX=kubernetes, deploy/k8s/lap.yaml).",
  },
  proc: {
    host: 'bwrap could not mount a fresh /proc: is LAP itself in a container? Then see the container options in README.md, "Deploy".',
    container:
      "The container's /proc is masked, so bwrap cannot mount a fresh one for the sandbox: start it with --security-opt systempaths=unconfined " +
      "(Docker; Podman: --security-opt unmask=ALL). compose.yaml sets this.",
    kubernetes:
      "The pod's /proc is masked: set securityContext.procMount: Unmasked on LAP's container (needs hostUsers: false in the pod spec).",
  },
  mounts: {
    host: "A security module denied bwrap's mounts (AppArmor or SELinux): allow bwrap (on Ubuntu its AppArmor profile) or run LAP where it is allowed.",
    container:
      "AppArmor or SELinux denied bwrap's mounts: start the container with --security-opt apparmor=unconfined (SELinux: --security-opt label=disable).",
    kubernetes: "AppArmor or SELinux denied bwrap's mounts: set securityContext.appArmorProfile {type: Unconfined} on LAP's container.",
  },
  other: {
    host: 'Run `bwrap --unshare-all --ro-bind / / --proc /proc --dev /dev true` by hand to see the problem; README.md, "Deploy" lists what bwrap needs.',
    container: 'README.md, "Deploy" lists the container options bubblewrap needs (seccomp, AppArmor, /proc).',
    kubernetes: 'README.md, "Deploy" lists the pod securityContext bubblewrap needs.',
  },
};

/** Sorts bwrap's own error text into the problems the fixes above address. */
export function classifyBwrapError(stderr: string): Exclude<BwrapCheck, { ok: true }>["problem"] {
  const text = stderr.toLowerCase();
  if (/can't mount proc|mount proc/.test(text)) return "proc";
  if (/namespace|uid map|gid map|setgroups|unprivileged_userns/.test(text)) return "user-namespaces";
  if (/mount|make \/ slave|pivot_root|remount/.test(text)) return "mounts";
  return "other";
}

export function fixFor(problem: Exclude<BwrapCheck, { ok: true }>["problem"], place: Place): string {
  return FIXES[problem][place];
}
