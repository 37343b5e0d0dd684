// How `opencode serve` is started: its environment, and what LAP prepares in the session's harness
// home first so that opencode's start does no work LAP has no use for. Each item below was measured
// (bench/harness/RESULTS.md, "opencode: where its start goes"); opencode is a 185 MB compiled Bun
// program whose start is CPU-bound, so every CPU-second saved is seconds on a busy 2-core machine.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { baseEnv } from "../binaries.ts";

export const KEY_ENV = "LAP_GATEWAY_KEY";

/** The package opencode installs into each of its config dirs (for plugins and custom tools). */
const PLUGIN_PACKAGE = "@opencode-ai/plugin";

/** Files LAP writes under the harness home; the paths are stable so a restarted server reuses them. */
export const opencodePaths = (home: string) => ({
  configDir: join(home, ".config", "opencode"),
  models: join(home, "lap-models.json"),
});

/**
 * Writes what opencode would otherwise build or fetch at every start (idempotent; a resumed home
 * keeps what it has):
 * - `lap-models.json`, an empty models.dev catalogue for `OPENCODE_MODELS_PATH`. Without it opencode
 *   builds its catalogue from the snapshot compiled into the binary (every provider and model), which
 *   cost ~1.2-1.5 CPU-s before the first model call; LAP enables only its own provider, whose model
 *   the config declares in full (config.ts `opencodeConfig`), so the catalogue has nothing LAP uses.
 * - `package.json` + `package-lock.json` + `node_modules/` in opencode's config dir, naming
 *   `@opencode-ai/plugin` as installed. opencode otherwise loads npm's installer and tries to install
 *   that package there on every start (which fails offline: LAP points the registry at a dead
 *   address). The package is only loaded for plugins and custom tools, which LAP does not use
 *   (`OPENCODE_PURE`), so an empty `node_modules` is enough.
 */
export function prepareOpencodeHome(home: string): void {
  const paths = opencodePaths(home);
  mkdirSync(join(paths.configDir, "node_modules"), { recursive: true });
  const manifest = join(paths.configDir, "package.json");
  if (!existsSync(manifest)) {
    const dependencies = { [PLUGIN_PACKAGE]: "*" };
    writeFileSync(manifest, `${JSON.stringify({ private: true, dependencies })}\n`);
    writeFileSync(
      join(paths.configDir, "package-lock.json"),
      `${JSON.stringify({ lockfileVersion: 3, packages: { "": { dependencies } } })}\n`,
    );
  }
  if (!existsSync(paths.models)) writeFileSync(paths.models, "{}\n");
}

/** The environment of `opencode serve`: LAP's minimal base plus opencode's switches (docs in harness/adapters/README.md). */
export function opencodeEnv(options: {
  home: string;
  env?: Record<string, string>;
  apiKey: string;
  configContent: string;
  password: string;
}): Record<string, string> {
  return baseEnv(options.home, {
    ...options.env,
    [KEY_ENV]: options.apiKey,
    OPENCODE_CONFIG_CONTENT: options.configContent,
    OPENCODE_SERVER_USERNAME: "lap",
    OPENCODE_SERVER_PASSWORD: options.password,
    OPENCODE_MODELS_PATH: opencodePaths(options.home).models,
    OPENCODE_DISABLE_AUTOUPDATE: "1",
    OPENCODE_DISABLE_MODELS_FETCH: "1",
    OPENCODE_DISABLE_LSP_DOWNLOAD: "1",
    OPENCODE_DISABLE_SHARE: "1",
    OPENCODE_DISABLE_CLAUDE_CODE: "1",
    OPENCODE_DISABLE_EMBEDDED_WEB_UI: "1",
    OPENCODE_DISABLE_DEFAULT_PLUGINS: "1",
    // No external plugins (`--pure`): none are installed, and a workspace's opencode.json naming one
    // must not make opencode fetch and run it.
    OPENCODE_PURE: "1",
    OPENCODE_EXPERIMENTAL_DISABLE_FILEWATCHER: "1",
  });
}
