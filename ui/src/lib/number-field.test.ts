import { expect, test } from "bun:test";
import { parseNumberField, parseNumberFields } from "./number-field";

test("empty is unset; plain numbers parse; words, units and exponents are refused with a message", () => {
  expect(parseNumberField("")).toEqual({ ok: true, value: null });
  expect(parseNumberField("  ")).toEqual({ ok: true, value: null });
  expect(parseNumberField("10")).toEqual({ ok: true, value: 10 });
  expect(parseNumberField("0.5")).toEqual({ ok: true, value: 0.5 });
  expect(parseNumberField("100,000", { integer: true })).toEqual({ ok: true, value: 100000 });
  for (const bad of ["ten dollars", "$10", "1e3", "10 USD", "NaN", "Infinity", "1.2.3"]) {
    expect(parseNumberField(bad, { unit: "US dollars" })).toEqual({ ok: false, message: "must be a number of US dollars, e.g. 10" });
  }
  expect(parseNumberField("1.5", { integer: true })).toEqual({ ok: false, message: "must be a whole number" });
  expect(parseNumberField("-1", { min: 0 })).toEqual({ ok: false, message: "must be 0 or more" });
  expect(parseNumberField("0", { integer: true, min: 1 })).toEqual({ ok: false, message: "must be 1 or more" });
});

test("several fields: every bad one is named", () => {
  const { values, errors } = parseNumberFields({
    max_budget: { raw: "ten dollars", min: 0 },
    rpm_limit: { raw: "60", integer: true, min: 1 },
    tpm_limit: { raw: "", integer: true },
  });
  expect(errors).toEqual({ max_budget: "must be a number, e.g. 10" });
  expect(values).toMatchObject({ rpm_limit: 60, tpm_limit: null });
});
