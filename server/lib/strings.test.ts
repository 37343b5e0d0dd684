import { describe, expect, test } from "bun:test";
import { headerSafe, idString, modelName, safeString, storableJsonText, storableText, unsafeStringReason } from "./strings";

describe("strings from the network", () => {
  test("NUL and lone surrogates are named; everything else is storable", () => {
    expect(unsafeStringReason("plain ünïcode 😀")).toBeUndefined();
    expect(unsafeStringReason("a\u0000b")).toContain("NUL");
    expect(unsafeStringReason("x\ud800")).toContain("surrogate");
    expect(unsafeStringReason("\udc00x")).toContain("surrogate");
  });

  test("safeString refuses NUL, lone surrogates and over-long values; line strings refuse control characters", () => {
    const s = safeString({ max: 10 });
    expect(s.safeParse("ok").success).toBe(true);
    expect(s.safeParse("a\u0000").error?.issues[0]?.message).toContain("NUL");
    expect(s.safeParse("\ud800").error?.issues[0]?.message).toContain("surrogate");
    expect(s.safeParse("x".repeat(11)).error?.issues[0]?.message).toBe("at most 10 characters");
    expect(s.safeParse("two\nlines").success).toBe(true);
    expect(idString().safeParse("two\nlines").success).toBe(false);
    expect(idString().safeParse("").success).toBe(false);
    expect(idString().safeParse("agt_123").success).toBe(true);
  });

  test("model names are printable ASCII, at most 256 characters", () => {
    for (const ok of [
      "gpt-4o",
      "anthropic/claude-sonnet-4-5",
      "openrouter/meta-llama/llama-3.1-8b-instruct:free",
      "openai/*",
      "My team model",
    ]) {
      expect(modelName().safeParse(ok).success).toBe(true);
    }
    for (const bad of ["модель", " gpt-4o", "gpt-4o ", "a\u0000", "x\r\nset-cookie: a=b", "x".repeat(257), ""]) {
      expect(modelName().safeParse(bad).success).toBe(false);
    }
  });

  test("headerSafe keeps visible ASCII and encodes the rest, so new Headers never throws", () => {
    expect(headerSafe("gpt-4o")).toBe("gpt-4o");
    for (const v of ["модель", "😀", "a\r\nx-injected: 1", "\u0000", "x\ud800", "100%"]) {
      const safe = headerSafe(v);
      expect(() => new Headers({ "x-test": safe })).not.toThrow();
      expect(safe).toMatch(/^[\x20-\x7e]*$/);
    }
    expect(headerSafe("модель")).toBe(encodeURIComponent("модель"));
    expect(headerSafe("x".repeat(5000)).length).toBe(1024);
  });

  test("storableText and storableJsonText make text PostgreSQL takes, leaving literal backslashes alone", () => {
    expect(storableText("a\u0000b\ud800")).toBe("a\ufffdb\ufffd");
    expect(storableText("x".repeat(50), 10)).toBe("x".repeat(10));
    const text = JSON.stringify({ a: "n\u0000ul", b: "lone\ud800", c: "pair😀", d: "literal \\u0000", "k\u0000": 1 });
    const clean = storableJsonText(text);
    expect(JSON.parse(clean)).toEqual({ a: "n\ufffdul", b: "lone\ufffd", c: "pair😀", d: "literal \\u0000", "k\ufffd": 1 });
    expect(storableJsonText('{"a":"ok"}')).toBe('{"a":"ok"}');
  });
});
