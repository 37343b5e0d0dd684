/**
 * A label value from a name a caller or an admin chose (a model group, a key alias, an MCP tool): the
 * first `max` distinct values pass (cut to 80 characters), later ones become `other`, so a caller who
 * invents names cannot grow the scrape without bound (docs/operations.md "Metrics").
 */
export class BoundedLabel {
  private readonly seen = new Set<string>();

  constructor(
    private readonly max: number,
    private readonly normalize: (v: string) => string = (v) => v,
  ) {}

  of(value: string | null | undefined): string {
    if (value === null || value === undefined || value === "") return "none";
    const v = this.normalize(value).slice(0, 80);
    if (this.seen.has(v)) return v;
    if (this.seen.size >= this.max) return "other";
    this.seen.add(v);
    return v;
  }
}

/** Session keys' aliases (`session-<id>`) are one value, `session`: a series per session would be unbounded. */
export const keyAliasLabel = (v: string) => (v.startsWith("session-") ? "session" : v);
