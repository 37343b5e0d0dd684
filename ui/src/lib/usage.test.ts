import { describe, expect, test } from "bun:test";
import { breakdown, csvField, perDay, totals, usageCsv, type UsageRow } from "./usage";

const row = (over: Partial<UsageRow>): UsageRow => ({
  day: "2026-03-01",
  model_group: "gpt",
  key_id: "k1",
  key_alias: "ci",
  agent_id: null,
  agent_name: null,
  requests: 1,
  failures: 0,
  prompt_tokens: 10,
  completion_tokens: 5,
  spend: 0.5,
  unpriced: 0,
  ...over,
});

describe("usage sums and CSV", () => {
  const rows = [
    row({}),
    row({ day: "2026-03-03", model_group: "claude", requests: 3, failures: 1, spend: 2 }),
    row({ day: "2026-03-03", key_id: null, key_alias: null, agent_id: "agt_1", agent_name: "coder", spend: 0, unpriced: 1 }),
  ];

  test("totals and per-day sums zero-fill the days without calls", () => {
    expect(totals(rows)).toEqual({ requests: 5, errors: 1, tokens: 45, cost: 2.5, unpriced: 1 });
    const days = perDay({ days: ["2026-03-01", "2026-03-02", "2026-03-03"], rows });
    expect(days.map((d) => d.requests)).toEqual([1, 0, 4]);
    expect(days[1]).toEqual({ requests: 0, errors: 0, tokens: 0, cost: 0, unpriced: 0 });
  });

  test("breakdowns by model, key and agent name what they group, most expensive first", () => {
    expect(breakdown(rows, "model").map((g) => [g.label, g.requests, g.cost])).toEqual([
      ["claude", 3, 2],
      ["gpt", 2, 0.5],
    ]);
    expect(breakdown(rows, "key").map((g) => g.label)).toEqual(["ci", "master key or admin"]);
    expect(breakdown(rows, "agent").map((g) => g.label)).toEqual(["no agent (direct calls)", "coder"]);
    expect(breakdown([row({ agent_id: "agt_gone" })], "agent")[0]!.label).toBe("agt_gone (deleted)");
  });

  test("CSV: a header, one line per row, quoted where needed, no formulas", () => {
    const csv = usageCsv([row({ key_alias: 'team "a", north' }), row({ agent_name: "=HYPERLINK()" })]);
    const lines = csv.trimEnd().split("\r\n");
    expect(lines[0]).toBe(
      "day,model,key_id,key_alias,agent_id,agent_name,requests,errors,prompt_tokens,completion_tokens,cost_usd,unpriced_requests",
    );
    expect(lines[1]).toBe('2026-03-01,gpt,k1,"team ""a"", north",,,1,0,10,5,0.5,0');
    expect(lines[2]).toContain(",'=HYPERLINK(),");
    expect(csvField(null)).toBe("");
    expect(csvField(-1)).toBe("-1");
  });
});
