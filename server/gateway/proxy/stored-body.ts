/** Request and response bodies in the spend log (LAP_GATEWAY_STORE_PROMPTS) are cut at this many characters. */
export const STORE_LIMIT = 16_384;

/** A body for the spend log: as it is when small, else a truncated preview. */
export function storable(value: unknown): unknown {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  if (text.length <= STORE_LIMIT) return typeof value === "string" ? { text } : value;
  return { truncated: true, length: text.length, preview: text.slice(0, STORE_LIMIT) };
}
