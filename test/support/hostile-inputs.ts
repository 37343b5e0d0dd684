/**
 * Hostile request inputs for the fuzz and hostile-body tests (docs/security.md, "Hostile input"):
 * bodies nested far past LAP_MAX_JSON_DEPTH, huge strings, NUL and lone surrogates, wrong types,
 * odd path segments and query values. Everything is drawn from a seeded generator, so a failure
 * names the seed and replays exactly.
 */

/** mulberry32: a small, fast, seedable PRNG (deterministic across runs and machines). */
export function seededRandom(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (max: number) => Math.floor(next() * max),
    /** `n` distinct items of `list`, in a seeded order. */
    pick<T>(list: readonly T[], n: number): T[] {
      const copy = [...list];
      for (let i = copy.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [copy[i], copy[j]] = [copy[j]!, copy[i]!];
      }
      return copy.slice(0, n);
    },
  };
}

/** JSON text of `depth` arrays inside each other: 2 bytes a level, so 100 000 levels is 200 KB. */
export const deepArrayText = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
/** JSON text of `depth` objects inside each other (`{"a":{"a":…}}`). */
export const deepObjectText = (depth: number) => `${'{"a":'.repeat(depth)}{}${"}".repeat(depth)}`;
/** A JSON value nested `depth` levels (for values that stay under the depth limit). */
export function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

/** Values that are wrong for almost every field, and strings no database or header takes. */
export const HOSTILE_VALUES: ReadonlyArray<{ name: string; value: unknown }> = [
  { name: "nul", value: "a\u0000b" },
  { name: "lone-surrogate", value: "x\ud800y" },
  { name: "huge-string", value: "x".repeat(300_000) },
  // Passes id-like patterns ([A-Z0-9]+, [a-z0-9-]+) and reaches unique indexes unless a length cap stops it.
  { name: "huge-id", value: "A1".repeat(150_000) },
  { name: "huge-lower-id", value: "a1".repeat(150_000) },
  { name: "non-latin1", value: "модель-模型-😀" },
  { name: "control-chars", value: "line\r\nx-injected: 1" },
  { name: "number", value: 12345 },
  { name: "negative", value: -1 },
  { name: "float", value: 1e308 },
  { name: "boolean", value: true },
  { name: "null", value: null },
  { name: "empty-object", value: {} },
  { name: "empty-array", value: [] },
  { name: "wide-array", value: Array.from({ length: 50_000 }, (_, i) => i) },
  { name: "wide-array-of-nul", value: Array.from({ length: 2_000 }, () => "\u0000") },
  { name: "nested-60", value: nested(60) },
  { name: "proto-key", value: JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}') },
  { name: "nul-key", value: { "a\u0000": 1 } },
];

/** Whole bodies (JSON text) that no route should spend time on. */
export const HOSTILE_BODIES: ReadonlyArray<{ name: string; text: string }> = [
  { name: "deep-arrays-100k", text: deepArrayText(100_000) },
  { name: "deep-objects-20k", text: deepObjectText(20_000) },
  { name: "unclosed", text: "[".repeat(50_000) },
  { name: "not-json", text: "{not json" },
  { name: "top-level-array", text: "[1,2,3]" },
  { name: "top-level-string", text: JSON.stringify("x".repeat(1000)) },
  { name: "top-level-null", text: "null" },
];

/** Path segments (already URL-encoded) for `:id`-style params. */
export const HOSTILE_PATH_SEGMENTS: readonly string[] = [
  "%00",
  "a%00b",
  "x".repeat(5000),
  "%ED%A0%80", // a lone surrogate, UTF-8 encoded (not valid UTF-8)
  "%F0%9F%98%80",
  "..%2F..%2Fetc%2Fpasswd",
  "%E2%80%AE%0D%0Ax-injected",
  "%25",
  "unknown-id-0000",
  "'%20or%201%3D1--",
];

/** Query values (already URL-encoded). */
export const HOSTILE_QUERY_VALUES: readonly string[] = ["%00", "x".repeat(20_000), "%ED%A0%80", "-1", "1e999", "abc", "%E2%80%AE"];

/** A concrete path for a route pattern, with every `:param` (and a trailing `*`) replaced. */
export const concretePath = (pattern: string, value: string) => pattern.replace(/:(\w+)/g, value).replace(/\*$/, value);
