import { describe, expect, test } from "bun:test";
import { MAX_PROMPT_CHARS, MAX_VALUE_CHARS, renderTemplate, templateProblem } from "./template";

describe("prompt templates", () => {
  const body = {
    issue: { title: "Crash on save", labels: ["bug", "p1"], number: 42, draft: false, assignee: null },
    items: [{ id: "a" }, { id: "b" }],
  };

  test("prints fields, array items, numbers, booleans and whole objects as JSON; missing fields print nothing", () => {
    const r = renderTemplate(
      "#{{body.issue.number}} {{ body.issue.title }} [{{body.issue.labels[1]}}] draft={{body.issue.draft}} who={{body.issue.assignee}}{{body.nope.deeper}} {{body.items[1].id}} {{body.issue.labels}}",
      body,
    );
    expect(r).toEqual({ ok: true, prompt: '#42 Crash on save [p1] draft=false who= b ["bug","p1"]' });
    expect(renderTemplate("{{body}}", [1, 2])).toEqual({ ok: true, prompt: "[1,2]" });
  });

  test("reads only the body's own fields: no prototype, no functions, no array or string properties", () => {
    const hostile = JSON.parse('{"__proto__": {"polluted": "yes"}, "a": "x"}');
    const r = renderTemplate(
      "{{body.constructor}}|{{body.toString}}|{{body.a.length}}|{{body.items.length}}|{{body.__proto__}}|{{body.hasOwnProperty}}",
      { ...hostile, items: [1] },
    );
    expect(r).toEqual({ ok: true, prompt: '||||{"polluted":"yes"}|' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test("caps each value and the whole prompt; an empty prompt is refused", () => {
    const long = "x".repeat(MAX_VALUE_CHARS + 50);
    const r = renderTemplate("{{body.v}}", { v: long });
    expect(r.ok && r.prompt.length).toBe(MAX_VALUE_CHARS + "… [truncated]".length);
    const many = renderTemplate("{{body.v}}".repeat(20), { v: long });
    expect(many).toEqual({ ok: false, message: expect.stringContaining(`limit is ${MAX_PROMPT_CHARS}`) });
    expect(renderTemplate("{{body.missing}}  ", {})).toEqual({ ok: false, message: "the template gave an empty prompt for this body" });
  });

  test("only body paths are placeholders; anything else is refused when the template is saved", () => {
    expect(templateProblem("Triage {{body.issue.title}} ({{body.items[0].id}})")).toBeNull();
    for (const bad of [
      "{{ body.a + 1 }}",
      "{{process.env.SECRET}}",
      "{{constructor}}",
      "{{body['a']}}",
      "{{#each body}}",
      "{{body.a}",
      "a }} b",
    ]) {
      expect([bad, templateProblem(bad)]).toEqual([bad, expect.any(String)]);
    }
    expect(templateProblem("{{body.a}}".repeat(101))).toBe("at most 100 placeholders");
  });
});
