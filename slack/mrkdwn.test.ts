import { describe, expect, test } from "bun:test";
import { markdownToMrkdwn, splitMrkdwn } from "./mrkdwn";

describe("markdown to mrkdwn", () => {
  test("emphasis, headings, strike, lists", () => {
    expect(markdownToMrkdwn("**bold** and *italic* and _also_ and ~~gone~~")).toBe("*bold* and _italic_ and _also_ and ~gone~");
    expect(markdownToMrkdwn("# Title **x**\n## Sub")).toBe("*Title x*\n*Sub*");
    expect(markdownToMrkdwn("- one\n* two\n  + nested")).toBe("• one\n• two\n  • nested");
    expect(markdownToMrkdwn("---")).toBe("──────────");
  });

  test("links become <url|label>; bare autolinks stay links", () => {
    expect(markdownToMrkdwn("see [the docs](https://example.com/a?b=1&c=2) or <https://x.io>")).toBe(
      "see <https://example.com/a?b=1&c=2|the docs> or <https://x.io>",
    );
  });

  test("& < > are escaped in text and code; code is never reformatted; fence languages dropped", () => {
    expect(markdownToMrkdwn("a < b && c > d")).toBe("a &lt; b &amp;&amp; c &gt; d");
    const md = "Run:\n```ts\nconst x = **not bold** && a < b;\n# not a heading\n```\nthen `*keep*` as is";
    expect(markdownToMrkdwn(md)).toBe("Run:\n```\nconst x = **not bold** &amp;&amp; a &lt; b;\n# not a heading\n```\nthen `*keep*` as is");
  });

  test("user and channel mentions survive; broadcasts are defused", () => {
    expect(markdownToMrkdwn("ask <@U123ABC> in <#C999XYZ|ops>, not <!channel>")).toBe("ask <@U123ABC> in <#C999XYZ>, not &lt;!channel&gt;");
  });

  test("an unterminated fence (mid-stream) is still protected", () => {
    expect(markdownToMrkdwn("x\n```py\nprint(**a**)")).toBe("x\n```\nprint(**a**)\n```");
  });

  test("splitting keeps pieces under the limit, prefers line breaks and re-opens a code block", () => {
    const text = Array.from({ length: 100 }, (_, i) => `line ${i} ${"x".repeat(30)}`).join("\n");
    const parts = splitMrkdwn(text, 500);
    expect(parts.every((p) => Array.from(p).length <= 500)).toBe(true);
    expect(parts.join("")).toBe(text);
    expect(parts.slice(0, -1).every((p) => p.endsWith("\n"))).toBe(true);
    const code = `\`\`\`\n${Array.from({ length: 60 }, (_, i) => `code ${i}`).join("\n")}\n\`\`\``;
    const cparts = splitMrkdwn(code, 200);
    expect(cparts.length).toBeGreaterThan(1);
    for (const p of cparts) expect((p.match(/```/g) ?? []).length % 2).toBe(0);
  });

  test("emoji and other multi-unit characters are never cut in half", () => {
    const parts = splitMrkdwn("😀".repeat(250), 100);
    expect(parts.join("")).toBe("😀".repeat(250));
    expect(parts.every((p) => !p.includes("\uFFFD") && Array.from(p).length <= 100)).toBe(true);
  });
});
