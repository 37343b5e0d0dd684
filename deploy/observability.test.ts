// The shipped Grafana dashboard (deploy/grafana/lap.json) and Prometheus alert rules
// (deploy/prometheus/alerts.yaml): they parse, every PromQL expression parses with Prometheus's own
// PromQL grammar (@prometheus-io/lezer-promql), and every metric they name is in a real scrape of LAP.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parser } from "@prometheus-io/lezer-promql";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { createTestApp, type TestApp } from "../test/support/app";
import { familiesOf } from "../test/support/prometheus";

const ROOT = join(import.meta.dir, "..");
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
/** Prometheus's own series, not LAP's. */
const PROMETHEUS_SERIES = new Set(["up"]);
const HISTOGRAM_SUFFIX = /_(bucket|sum|count)$/;

/** The metric names a PromQL expression selects, or the parse errors it has. */
function selectors(expr: string): { names: string[]; errors: string[] } {
  const tree = parser.parse(expr);
  const names: string[] = [];
  const errors: string[] = [];
  tree.iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(`${expr.slice(Math.max(0, node.from - 10), node.to + 10)} (at ${node.from})`);
      if (node.name === "VectorSelector") {
        const id = node.node.getChild("Identifier");
        if (id) names.push(expr.slice(id.from, id.to));
      }
    },
  });
  return { names, errors };
}

interface Panel {
  title?: string;
  type: string;
  targets?: Array<{ expr: string }>;
  panels?: Panel[];
}

function dashboardExprs(): Array<{ where: string; expr: string }> {
  const dash = JSON.parse(read("deploy/grafana/lap.json")) as {
    panels: Panel[];
    templating: { list: Array<{ name: string; definition?: string }> };
  };
  const out: Array<{ where: string; expr: string }> = [];
  const walk = (ps: Panel[]) => {
    for (const p of ps) {
      for (const t of p.targets ?? []) out.push({ where: `panel "${p.title}"`, expr: t.expr });
      walk(p.panels ?? []);
    }
  };
  walk(dash.panels);
  for (const v of dash.templating.list) {
    const m = v.definition && /^label_values\((\w+),/.exec(v.definition);
    if (m) out.push({ where: `variable ${v.name}`, expr: m[1]! });
  }
  return out;
}

function alertExprs(): Array<{ where: string; expr: string }> {
  const doc = parse(read("deploy/prometheus/alerts.yaml")) as {
    groups: Array<{
      name: string;
      rules: Array<{
        alert?: string;
        record?: string;
        expr: string;
        for?: string;
        labels?: Record<string, string>;
        annotations?: Record<string, string>;
      }>;
    }>;
  };
  expect(doc.groups.length).toBeGreaterThan(0);
  return doc.groups.flatMap((g) =>
    g.rules.map((r) => {
      expect(r.alert ?? r.record).toBeTruthy();
      if (r.alert) expect(r.annotations?.summary).toBeTruthy();
      if (r.for) expect(r.for).toMatch(/^\d+[smh]$/);
      return { where: `alert ${r.alert}`, expr: r.expr };
    }),
  );
}

describe("deploy/grafana and deploy/prometheus", () => {
  let t: TestApp;
  let families: Set<string>;
  beforeAll(async () => {
    t = await createTestApp();
    const res = await t.request("GET", "/metrics");
    expect(res.status).toBe(200);
    families = familiesOf(await res.text());
  }, 60_000);
  afterAll(() => t?.close());

  for (const [file, exprs] of [
    ["deploy/grafana/lap.json", dashboardExprs],
    ["deploy/prometheus/alerts.yaml", alertExprs],
  ] as const) {
    test(`${file}: every expression parses as PromQL and names only metrics LAP exports`, () => {
      const list = exprs();
      expect(list.length).toBeGreaterThan(5);
      const unknown: string[] = [];
      for (const { where, expr } of list) {
        const { names, errors } = selectors(expr);
        expect({ where, errors }).toEqual({ where, errors: [] });
        expect({ where, names: names.length > 0 }).toEqual({ where, names: true });
        for (const name of names) {
          if (PROMETHEUS_SERIES.has(name)) continue;
          if (!families.has(name) && !families.has(name.replace(HISTOGRAM_SUFFIX, ""))) unknown.push(`${where}: ${name}`);
        }
      }
      expect(unknown).toEqual([]);
    });
  }

  test("the checker notices a metric LAP does not export and a broken expression", () => {
    const { names } = selectors("sum(rate(lap_no_such_metric_total[5m]))");
    expect(names).toEqual(["lap_no_such_metric_total"]);
    expect(families.has("lap_no_such_metric_total")).toBe(false);
    expect(selectors("sum(rate(lap_http_requests_total[5m])) +").errors.length).toBeGreaterThan(0);
  });
});
