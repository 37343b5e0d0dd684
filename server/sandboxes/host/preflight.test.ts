/**
 * No user remapping, no sandbox: when bubblewrap cannot make a user namespace as a non-root uid,
 * the local provider refuses with the fix (never falls back to root), and `lap doctor` says the same
 * without ever suggesting root. A stand-in `bwrap` that fails the way a kernel without unprivileged
 * user namespaces makes it fail plays the machine.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, stopLapChildren } from "../../../test/support/lap-cli";
import { LocalSandboxProvider } from "../local-provider";
import { SandboxError } from "../provider";
import { providerOptions } from "../test-helpers";
import { detectPlace, fixFor } from "./bwrap-check";
import { sandboxingProblem } from "./preflight";
import { SandboxUsers } from "./sandbox-user";
import { sandboxSeccompFilter } from "./seccomp";

afterEach(stopLapChildren);

/** A `bwrap` that knows its version and options but cannot create a user namespace; it logs each real run. */
function failingBwrap() {
  const dir = mkdtempSync(join(tmpdir(), "lap-fake-bwrap-"));
  chmodSync(dir, 0o755);
  const log = join(dir, "runs.log");
  // It runs as the sandbox's uid (after the drop): let that uid log.
  writeFileSync(log, "");
  chmodSync(log, 0o666);
  writeFileSync(
    join(dir, "bwrap"),
    `#!/bin/sh\ncase "$1" in --version) echo "bubblewrap 0.8.0";; --help) echo "--disable-userns";; *) echo run >> ${log} 2>/dev/null; echo "bwrap: setting up uid map: Permission denied" >&2; exit 1;; esac\n`,
  );
  chmodSync(join(dir, "bwrap"), 0o755);
  return {
    dir,
    bwrap: join(dir, "bwrap"),
    runs: () => (existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean).length : 0),
  };
}

/** What LAP says to do when user namespaces are refused, where this test runs. */
const USERNS_FIX = fixFor("user-namespaces", detectPlace());
const ROOT_ADVICE = /run (it |lap |this )?as root|as root instead|sudo lap/i;

describe("no user namespace, no sandbox", () => {
  test("sandboxingProblem names what failed and the fix", () => {
    const fake = failingBwrap();
    const problem = sandboxingProblem({ bwrap: fake.bwrap, user: new SandboxUsers().forProbe() });
    expect(problem).toContain("setting up uid map: Permission denied");
    expect(problem).toContain("LAP never runs sandboxes as root");
    expect(problem).toContain(USERNS_FIX);
    expect(problem).not.toMatch(ROOT_ADVICE);
  });

  test("the local provider refuses to start a sandbox (SandboxError unavailable), and starts nothing after the check", async () => {
    const fake = failingBwrap();
    const provider = new LocalSandboxProvider(
      providerOptions(() => 1),
      fake.bwrap,
    );
    const err = await provider.create({ harness: "builtin", env: {}, workspaceId: "ws", labels: {} }).catch((e) => e);
    expect(err).toBeInstanceOf(SandboxError);
    expect((err as SandboxError).reason).toBe("unavailable");
    expect((err as Error).message).toContain(USERNS_FIX);
    expect(fake.runs()).toBe(1); // the check itself; no sandbox was launched
    expect(await provider.list()).toEqual([]);
    await provider.shutdown();
  });

  test("lap doctor reports it with the fix and never suggests running as root", async () => {
    const fake = failingBwrap();
    const r = await run(["doctor", "--json"], {
      LAP_DATA_DIR: mkdtempSync(join(tmpdir(), "lap-cli-")),
      PORT: "0",
      PATH: `${fake.dir}:${process.env.PATH}`,
    });
    const checks = JSON.parse(r.stdout) as Array<{ name: string; ok: boolean; detail: string; fix?: string }>;
    const bwrap = checks.find((c) => c.name === "bubblewrap")!;
    expect(bwrap.ok).toBe(false);
    expect(bwrap.detail).toContain("setting up uid map");
    expect(bwrap.fix).toBe(USERNS_FIX);
    expect(`${bwrap.detail} ${bwrap.fix}`).not.toMatch(ROOT_ADVICE);
  }, 60_000);
});

describe("seccomp filter", () => {
  test("assembles for both architectures: whole instructions, architecture checked first", () => {
    for (const arch of ["x86_64", "aarch64"] as const) {
      const f = sandboxSeccompFilter(arch);
      expect(f.length % 8).toBe(0);
      expect(f.length / 8).toBeLessThan(256);
      expect(f.readUInt16LE(0)).toBe(0x20); // ld [arch]
      expect(f.readUInt32LE(4)).toBe(4);
      expect(f.readUInt32LE(12)).toBe(arch === "x86_64" ? 0xc000003e : 0xc00000b7);
    }
  });
});
