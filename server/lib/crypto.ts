import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Secrets at rest: AES-256-GCM with a key id, `v1.<kid>.<iv>.<tag>.<ciphertext>` (base64url).
 * The key id lets a rotated keyring decrypt old values while encrypting new ones with the newest key.
 */
export interface SecretBox {
  keyId: string;
  encrypt(plain: string): string;
  decrypt(sealed: string): string;
}

export const keyIdOf = (key: Buffer) => createHash("sha256").update(key).digest("hex").slice(0, 8);

export function createSecretBox(current: Buffer, previous: Buffer[] = []): SecretBox {
  if (current.length !== 32) throw new Error("encryption key must be 32 bytes");
  const keys = new Map<string, Buffer>([[keyIdOf(current), current], ...previous.map((k) => [keyIdOf(k), k] as const)]);
  const keyId = keyIdOf(current);
  return {
    keyId,
    encrypt(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", current, iv);
      cipher.setAAD(Buffer.from(keyId));
      const ct = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      return ["v1", keyId, iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), ct.toString("base64url")].join(".");
    },
    decrypt(sealed) {
      const [version, kid, iv, tag, ct] = sealed.split(".");
      if (version !== "v1" || !kid || iv === undefined || tag === undefined || ct === undefined) throw new Error("not a sealed secret");
      const key = keys.get(kid);
      if (!key) throw new Error(`no encryption key with id ${kid}`);
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
      decipher.setAAD(Buffer.from(kid));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([decipher.update(Buffer.from(ct, "base64url")), decipher.final()]).toString("utf8");
    },
  };
}

export const sha256Hex = (value: string) => createHash("sha256").update(value).digest("hex");

/** Constant-time string comparison (hashing first makes the lengths equal). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash("sha256").update(a).digest(), createHash("sha256").update(b).digest());
}

/** Random token, URL-safe, with a readable prefix. */
export const randomToken = (prefix: string, bytes = 24) => `${prefix}${randomBytes(bytes).toString("base64url")}`;
