import { describe, expect, spyOn, test } from "bun:test";
import * as nodeCrypto from "node:crypto";
import { createHash, randomBytes } from "node:crypto";
import { createSecretBox, safeEqual } from "./crypto";

describe("secret box (AES-256-GCM with key id)", () => {
  const key = randomBytes(32);
  test("round-trips and never contains the plaintext", () => {
    const box = createSecretBox(key);
    const sealed = box.encrypt("sk-provider-secret");
    expect(sealed).not.toContain("sk-provider-secret");
    expect(sealed.startsWith(`v1.${box.keyId}.`)).toBe(true);
    expect(box.decrypt(sealed)).toBe("sk-provider-secret");
    expect(box.encrypt("same")).not.toBe(box.encrypt("same"));
  });

  test("tampering is detected", () => {
    const box = createSecretBox(key);
    const parts = box.encrypt("value").split(".");
    const ct = Buffer.from(parts[4]!, "base64url");
    ct[0]! ^= 1;
    parts[4] = ct.toString("base64url");
    expect(() => box.decrypt(parts.join("."))).toThrow();
  });

  test("a rotated keyring still opens old values; an unknown key id is refused", () => {
    const old = createSecretBox(key);
    const sealed = old.encrypt("legacy");
    const rotated = createSecretBox(randomBytes(32), [key]);
    expect(rotated.decrypt(sealed)).toBe("legacy");
    expect(rotated.encrypt("new").split(".")[1]).toBe(rotated.keyId);
    expect(() => createSecretBox(randomBytes(32)).decrypt(sealed)).toThrow(/no encryption key/);
    expect(() => createSecretBox(Buffer.alloc(16))).toThrow();
  });

  // Timing itself is too noisy to measure in a test; what makes it constant is checked instead: every
  // call compares two SHA-256 digests (32 bytes whatever the inputs) with timingSafeEqual, and no input
  // length short-circuits that comparison.
  test("safeEqual compares fixed-length SHA-256 digests with timingSafeEqual, whatever the input lengths", () => {
    const spy = spyOn(nodeCrypto, "timingSafeEqual");
    try {
      const pairs: [string, string][] = [
        ["abc", "abc"],
        ["abc", "abd"],
        ["abc", "abcd"],
        ["", "x".repeat(10_000)],
      ];
      for (const [a, b] of pairs) expect(safeEqual(a, b)).toBe(a === b);
      expect(spy).toHaveBeenCalledTimes(pairs.length);
      spy.mock.calls.forEach(([x, y], i) => {
        const sha = (v: string) => createHash("sha256").update(v).digest();
        expect(Buffer.from(x as Uint8Array).equals(sha(pairs[i]![0]))).toBe(true);
        expect(Buffer.from(y as Uint8Array).equals(sha(pairs[i]![1]))).toBe(true);
      });
    } finally {
      spy.mockRestore();
    }
  });
});
