/** LAP_HOST_ID and the host id kept in the data dir (what scopes local sandboxes to a machine). */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig, parseEnv } from "./load";

const tmp = () => mkdtempSync(join(tmpdir(), "lap-hostid-"));
const issuesOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  throw new Error("no ConfigError");
};

describe("host id", () => {
  test("a bad LAP_HOST_ID is a configuration error naming the variable", () => {
    for (const bad of ["has space", "a/b", "-leading-dash", ".hidden", "x".repeat(64), "é"]) {
      const issues = issuesOf(() => parseEnv({ LAP_HOST_ID: bad }));
      expect(issues).toHaveLength(1);
      expect(issues[0]).toStartWith("LAP_HOST_ID: must be 1-63 characters");
    }
    expect(parseEnv({ LAP_HOST_ID: "node-7.eu_west" }).LAP_HOST_ID).toBe("node-7.eu_west");
    expect(parseEnv({ LAP_HOST_ID: "  " }).LAP_HOST_ID).toBeUndefined();
  });

  test("unset, an id is generated once into the data dir and kept; each data dir has its own; LAP_HOST_ID wins", () => {
    const dir = tmp();
    const first = loadConfig({ LAP_DATA_DIR: dir }).hostId;
    expect(first).toMatch(/^host_[0-9a-f]{16}$/);
    expect(readFileSync(join(dir, "host-id"), "utf8").trim()).toBe(first);
    expect(loadConfig({ LAP_DATA_DIR: dir }).hostId).toBe(first);
    expect(loadConfig({ LAP_DATA_DIR: tmp() }).hostId).not.toBe(first);
    expect(loadConfig({ LAP_DATA_DIR: dir, LAP_HOST_ID: "node-a" }).hostId).toBe("node-a");
    // A configured id writes nothing.
    const other = tmp();
    loadConfig({ LAP_DATA_DIR: other, LAP_HOST_ID: "node-b" });
    expect(existsSync(join(other, "host-id"))).toBe(false);
  });

  test("a damaged host-id file is a configuration error naming LAP_HOST_ID and the file, left as it was", () => {
    const dir = tmp();
    writeFileSync(join(dir, "host-id"), "not a/valid id\n");
    const issues = issuesOf(() => loadConfig({ LAP_DATA_DIR: dir }));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toStartWith("LAP_HOST_ID: unset, and ");
    expect(issues[0]).toContain(join(dir, "host-id"));
    expect(readFileSync(join(dir, "host-id"), "utf8")).toBe("not a/valid id\n");
    expect(loadConfig({ LAP_DATA_DIR: dir, LAP_HOST_ID: "node-c" }).hostId).toBe("node-c");
  });

  test("lap up with a bad LAP_HOST_ID exits 1 before starting, naming the variable", async () => {
    const dir = join(tmp(), "data");
    const proc = Bun.spawn([process.execPath, join(import.meta.dir, "../../bin/lap.ts"), "up"], {
      env: { PATH: process.env.PATH ?? "", HOME: tmpdir(), PORT: "0", LAP_DATA_DIR: dir, LAP_HOST_ID: "two words" },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    expect(code).toBe(1);
    expect(stderr).toContain("LAP_HOST_ID: must be 1-63 characters");
    expect(stderr).not.toContain("Dashboard");
    expect(existsSync(dir)).toBe(false);
  }, 30_000);
});
