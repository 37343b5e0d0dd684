/** The fake OpenAI-compatible provider in its own process, so it does not share LAP's event loop. */
import { startFakeOpenAI } from "../../test/support/fake-openai";

const fake = startFakeOpenAI({ apiKey: "sk-bench-provider" });
fake.script.recordRequests = false;
console.log(JSON.stringify({ url: fake.url }));
