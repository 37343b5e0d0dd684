/**
 * The scripted model (server.ts: STANDS FOR THE LLM PROVIDERS, in the three wire formats the harness
 * CLIs speak) as a standalone process, for Playwright tests (which run under Node). argv[2] is JSON
 * `{ models, apiKey?, script }`; prints `{"url": ...}` on its first stdout line.
 */
import type { ScriptRule } from "./script.ts";
import { startScriptedModel } from "./server.ts";

const options = JSON.parse(process.argv[2] ?? "{}") as { models?: string[]; apiKey?: string; script?: ScriptRule[] };
const model = startScriptedModel({ models: options.models ?? [], apiKey: options.apiKey, script: options.script ?? [] });
console.log(JSON.stringify({ url: model.url, pid: process.pid }));
