// Numbers typed into forms. A field left empty is "not set"; anything else must be a plain number
// (digits, one point, optional leading minus): "ten dollars", "1e3" or "$5" are refused with a
// message instead of being sent as nothing (issue 24: a budget of "ten dollars" was silently dropped).

export type NumberField = { ok: true; value: number | null } | { ok: false; message: string };

const PLAIN = /^-?(?:\d+(?:\.\d*)?|\.\d+)$/;

export function parseNumberField(raw: string, opts: { integer?: boolean; min?: number; max?: number; unit?: string } = {}): NumberField {
  const text = raw.trim().replaceAll(/[\s_,](?=\d{3}\b)/g, "");
  if (text === "") return { ok: true, value: null };
  const what = opts.integer ? "a whole number" : "a number";
  if (!PLAIN.test(text))
    return { ok: false, message: `must be ${what}${opts.unit ? ` of ${opts.unit}` : ""}, e.g. ${opts.integer ? "60" : "10"}` };
  const value = Number(text);
  if (opts.integer && !Number.isInteger(value)) return { ok: false, message: "must be a whole number" };
  if (opts.min !== undefined && value < opts.min) return { ok: false, message: `must be ${opts.min} or more` };
  if (opts.max !== undefined && value > opts.max) return { ok: false, message: `must be at most ${opts.max}` };
  return { ok: true, value };
}

/**
 * Parses several fields at once: the values, and the errors keyed by field name (empty when all are
 * fine), so a form can show every bad field before sending anything.
 */
export function parseNumberFields<K extends string>(
  fields: Record<K, { raw: string | undefined; integer?: boolean; min?: number; max?: number; unit?: string }>,
) {
  const values = {} as Record<K, number | null>;
  const errors: Record<string, string> = {};
  for (const name of Object.keys(fields) as K[]) {
    const { raw, ...opts } = fields[name];
    const parsed = parseNumberField(raw ?? "", opts);
    if (parsed.ok) values[name] = parsed.value;
    else errors[name] = parsed.message;
  }
  return { values, errors };
}
