import { describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
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

  test("safeEqual compares in constant time across lengths", () => {
    expect(safeEqual("abc", "abc")).toBe(true);
    expect(safeEqual("abc", "abcd")).toBe(false);
  });
});
