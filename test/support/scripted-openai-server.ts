/**
 * The scripted OpenAI-compatible model (scripted-openai.ts, standing in for an LLM provider) as a
 * standalone process, for Playwright tests (which run under Node). The script is JSON in argv[2];
 * prints `{"url": ...}` on its first stdout line.
 */
import { startScriptedOpenAI, type ScriptStep } from "./scripted-openai";

const model = startScriptedOpenAI();
model.script(JSON.parse(process.argv[2] ?? "[]") as ScriptStep[]);
console.log(JSON.stringify({ url: model.url, pid: process.pid }));
