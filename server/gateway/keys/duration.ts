/** LiteLLM durations: "30s", "30m", "30h", "30d", "2w", "1mo" -> milliseconds (undefined when malformed). */
export function durationMs(value: string): number | undefined {
  const m = /^(\d+)\s*(s|m|h|d|w|mo)$/.exec(value.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, mo: 30 * 86_400_000 }[m[2] as "s"];
  return n * unit;
}
