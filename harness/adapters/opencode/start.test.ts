// opencode's start: the home LAP prepares and the environment it gets (start.ts). The real-CLI test
// runs `opencode serve` with a registry that records every request, to show the prepared home is
// what stops opencode's per-start package install (and that, unprepared, it does try one).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { harnessBinary } from "../binaries.ts";
import { spawnCli } from "../process.ts";
import { opencodeEnv, opencodePaths, prepareOpencodeHome } from "./start.ts";

let root = "";
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "lap-opencode-start-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const home = (name: string) => {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  return dir;
};

test("prepareOpencodeHome writes an empty models catalogue and marks the plugin package installed", () => {
  const dir = home("fresh");
  prepareOpencodeHome(dir);
  const paths = opencodePaths(dir);
  expect(JSON.parse(readFileSync(paths.models, "utf8"))).toEqual({});
  expect(JSON.parse(readFileSync(join(paths.configDir, "package.json"), "utf8")).dependencies).toEqual({ "@opencode-ai/plugin": "*" });
  const lock = JSON.parse(readFileSync(join(paths.configDir, "package-lock.json"), "utf8"));
  expect(Object.keys(lock.packages[""].dependencies)).toEqual(["@opencode-ai/plugin"]);
});

test("prepareOpencodeHome keeps what a resumed home already has", () => {
  const dir = home("resumed");
  const paths = opencodePaths(dir);
  mkdirSync(paths.configDir, { recursive: true });
  writeFileSync(join(paths.configDir, "package.json"), '{"dependencies":{"kept":"1"}}');
  writeFileSync(paths.models, '{"kept":{}}');
  prepareOpencodeHome(dir);
  prepareOpencodeHome(dir);
  expect(readFileSync(join(paths.configDir, "package.json"), "utf8")).toBe('{"dependencies":{"kept":"1"}}');
  expect(readFileSync(paths.models, "utf8")).toBe('{"kept":{}}');
});

test("opencodeEnv: the key only in LAP_GATEWAY_KEY, the catalogue from the home, pure, no registry, nothing of LAP's own env", () => {
  process.env.LAP_TEST_SUPERVISOR_SECRET = "must-not-leak";
  try {
    const env = opencodeEnv({ home: "/h", apiKey: "sk-session", configContent: "{}", password: "pw" });
    expect(env.LAP_GATEWAY_KEY).toBe("sk-session");
    expect(Object.entries(env).filter(([, value]) => value.includes("sk-session"))).toEqual([["LAP_GATEWAY_KEY", "sk-session"]]);
    expect(env.OPENCODE_MODELS_PATH).toBe("/h/lap-models.json");
    expect(env.OPENCODE_PURE).toBe("1");
    expect(env.OPENCODE_DISABLE_MODELS_FETCH).toBe("1");
    expect(env.npm_config_registry).toBe("http://127.0.0.1:9/");
    expect(env.HOME).toBe("/h");
    expect(env.LAP_TEST_SUPERVISOR_SECRET).toBeUndefined();
  } finally {
    delete process.env.LAP_TEST_SUPERVISOR_SECRET;
  }
});

/**
 * Starts the real `opencode serve` on `dir`, opens a session (which loads its config dirs), waits
 * until `settled()` or for at most `waitMs`, and stops it.
 */
async function serveOnce(dir: string, registry: string, settled: () => boolean, waitMs: number): Promise<void> {
  const workspace = join(dir, "ws");
  mkdirSync(workspace, { recursive: true });
  const env = opencodeEnv({
    home: dir,
    // Every registry variable at the recorder instead of the dead address.
    env: { npm_config_registry: registry, NPM_CONFIG_REGISTRY: registry, BUN_CONFIG_REGISTRY: registry, npm_config_offline: "false" },
    apiKey: "k",
    configContent: JSON.stringify({ enabled_providers: ["lap"], autoupdate: false, share: "disabled" }),
    password: "pw",
  });
  let announce!: (url: string) => void;
  const listening = new Promise<string>((resolve) => {
    announce = resolve;
  });
  const onLine = (line: string) => {
    const match = /listening on (http:\/\/\S+)/.exec(line);
    if (match) announce(match[1]!);
  };
  const cli = spawnCli({
    cmd: [harnessBinary("opencode"), "serve", "--hostname", "127.0.0.1", "--port", "0"],
    cwd: workspace,
    env,
    onLine,
    onStderrLine: onLine,
  });
  try {
    const base = await listening;
    const headers = { authorization: `Basic ${btoa("lap:pw")}`, "content-type": "application/json" };
    const created = await fetch(`${base}/session`, { method: "POST", headers, body: "{}" });
    expect(created.status).toBe(200);
    // The install runs in the background of the config load.
    for (let waited = 0; !settled() && waited < waitMs; waited += 100) await Bun.sleep(100);
  } finally {
    cli.kill("SIGKILL");
    await cli.exited;
  }
}

test("real opencode serve: a prepared home makes no package install; an unprepared one tries", async () => {
  const seen: string[] = [];
  const registry = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      seen.push(decodeURIComponent(new URL(request.url).pathname));
      return new Response("offline", { status: 503 });
    },
  });
  const url = `http://127.0.0.1:${registry.port}/`;
  try {
    const prepared = home("serve-prepared");
    prepareOpencodeHome(prepared);
    // A skipped install leaves no trace to wait for: 3 s after the config load is ample (the check
    // the install step makes is two file reads); any request ends the wait at once.
    await serveOnce(prepared, url, () => seen.length > 0, 3_000);
    expect(seen).toEqual([]);

    const askedForPlugin = () => seen.some((path) => path.includes("@opencode-ai/plugin"));
    await serveOnce(home("serve-unprepared"), url, askedForPlugin, 60_000);
    expect(askedForPlugin()).toBe(true);
  } finally {
    registry.stop(true);
  }
}, 180_000);
