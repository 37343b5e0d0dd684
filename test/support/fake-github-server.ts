/**
 * The fake GitHub (fake-github.ts, standing in for github.com and its API) as a standalone process, for
 * Playwright tests (which run under Node). argv[2] is the token it accepts. Prints
 * `{"url": origin, "repoUrl", "caFile"}` on its first stdout line.
 */
import { startFakeGitHub } from "./fake-github";

const github = await startFakeGitHub({ token: process.argv[2] ?? "ghp_e2e" });
console.log(JSON.stringify({ url: github.origin, repoUrl: github.repoUrl, caFile: github.caFile }));
