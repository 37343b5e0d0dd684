import { describe, expect, test } from "bun:test";
import { ApiError } from "../lib/errors";
import { nestsDeeperThan, parseJsonText, readBodyText } from "./json-body";

describe("the JSON body parser", () => {
  test("depth counts arrays and objects, not brackets inside strings", () => {
    expect(nestsDeeperThan("[[[]]]", 3)).toBe(false);
    expect(nestsDeeperThan("[[[[]]]]", 3)).toBe(true);
    expect(nestsDeeperThan('{"a":{"b":[1]}}', 3)).toBe(false);
    expect(nestsDeeperThan(`["${"[".repeat(1000)}"]`, 2)).toBe(false);
    expect(nestsDeeperThan(`["\\"${"[".repeat(10)}"]`, 2)).toBe(false);
    expect(nestsDeeperThan(`["\\\\",${"[".repeat(10)}`, 2)).toBe(true);
  });

  test("a body deeper than the limit is a 400 before JSON.parse, in linear time", () => {
    const text = "[".repeat(2_000_000) + "]".repeat(2_000_000);
    const started = performance.now();
    const err = (() => {
      try {
        parseJsonText(text, 64);
      } catch (e) {
        return e;
      }
    })();
    // The scan stops at depth 65 (microseconds); a parser or validator that recursed through 2 000 000
    // levels would take minutes or overflow. 5 s is far from both, even on a loaded machine.
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(400);
    expect((err as ApiError).message).toContain("LAP_MAX_JSON_DEPTH");
    expect(parseJsonText("  ", 64)).toBeUndefined();
    expect(() => parseJsonText("{x", 64)).toThrow("could not be parsed");
  });

  test("the size limit holds with and without content-length", async () => {
    const declared = new Request("http://x/", { method: "POST", body: "x".repeat(100), headers: { "content-length": "100" } });
    await expect(readBodyText(declared, 50)).rejects.toMatchObject({ status: 413 });
    const chunks = ["a".repeat(40), "b".repeat(40)];
    const stream = new ReadableStream<Uint8Array>({
      pull: (c) => (chunks.length ? c.enqueue(new TextEncoder().encode(chunks.shift()!)) : c.close()),
    });
    await expect(
      readBodyText(new Request("http://x/", { method: "POST", body: stream, duplex: "half" } as RequestInit), 50),
    ).rejects.toMatchObject({ status: 413 });
    expect(await readBodyText(new Request("http://x/", { method: "POST", body: "ok" }), 50)).toBe("ok");
  });
});
