/**
 * The fake OpenAI-compatible provider (fake-openai.ts) as a standalone process, for the benchmark and the
 * Playwright tests (which run under Node). Prints `{"url": ...}` on its first stdout line.
 * Usage: bun test/support/fake-openai-server.ts [provider-api-key]
 */
import { startFakeOpenAI } from "./fake-openai";

const fake = startFakeOpenAI({ apiKey: process.argv[2] });
fake.script.recordRequests = false;
console.log(JSON.stringify({ url: fake.url, pid: process.pid }));
