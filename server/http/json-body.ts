/**
 * The one JSON body parser (docs/security.md, "Hostile input"): the body is read up to the size
 * limit (also when no content-length was sent), its nesting depth is checked in one linear pass
 * before JSON.parse, and a body that is too large, too deep or not JSON is a 4xx before any
 * validator, handler or error formatter walks it. Routes that read their own body (MCP, Slack)
 * call `readJsonBody` / `parseJsonText` directly.
 */
import { Elysia, type AnyElysia } from "elysia";
import { ApiError } from "../lib/errors";

export interface JsonLimits {
  maxBytes: number;
  maxDepth: number;
}

/** The defaults of LAP_MAX_BODY_BYTES and LAP_MAX_JSON_DEPTH, for parts built without a config (tests). */
export const DEFAULT_JSON_LIMITS: JsonLimits = { maxBytes: 10 * 1024 * 1024, maxDepth: 128 };

export const tooLarge = (limit: number) =>
  new ApiError(413, "payload_too_large", `Request body is over the limit of ${limit} bytes (LAP_MAX_BODY_BYTES)`);
export const tooDeep = (limit: number) =>
  new ApiError(400, "invalid_json", `Request body nests deeper than ${limit} levels (LAP_MAX_JSON_DEPTH)`, [
    { field: "(body)", message: `nests deeper than ${limit} levels` },
  ]);
export const notJson = () =>
  new ApiError(400, "invalid_json", "Request body could not be parsed: send valid JSON with content-type application/json");

/** The body as text, refusing it as soon as it passes `maxBytes` (chunked bodies have no content-length). */
export async function readBodyText(request: Request, maxBytes: number): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return "";
  if (Number.isFinite(declared)) {
    // A declared length is enforced by the server (Bun's maxRequestBodySize); read it natively.
    const text = await request.text();
    if (text.length > maxBytes) throw tooLarge(maxBytes);
    return text;
  }
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

/** True when `text` opens more than `max` arrays/objects inside each other (brackets in strings do not count). */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > max) return true;
    } else if (c === 93 || c === 125) depth--;
  }
  return false;
}

/** JSON.parse behind the depth bound; an empty body is `undefined` (the schema then says what is missing). */
export function parseJsonText(text: string, maxDepth: number): unknown {
  if (text.trim() === "") return undefined;
  if (nestsDeeperThan(text, maxDepth)) throw tooDeep(maxDepth);
  try {
    return JSON.parse(text);
  } catch {
    throw notJson();
  }
}

export async function readJsonBody(request: Request, limits: JsonLimits): Promise<unknown> {
  return parseJsonText(await readBodyText(request, limits.maxBytes), limits.maxDepth);
}

const isJsonType = (contentType: string) => {
  const type = contentType.split(";")[0]!.trim().toLowerCase();
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
};

/**
 * Replaces Elysia's JSON parser on every route; other content types fall through to Elysia's parsers.
 * Routes declared with `parse: "none"` (MCP, Slack) read their own body: `exemptSelfParsing(app)`,
 * run on the built app, keeps this parser off them.
 */
export function jsonBody(limits: JsonLimits) {
  const selfParsing = new Set<string>();
  const plugin = new Elysia({ name: "json-body" }).onParse({ as: "global" }, async ({ request, contentType, route }) => {
    // null (not undefined) tells Elysia the body is handled, so neither its parsers nor "none" run.
    if (selfParsing.has(`${request.method} ${route}`)) return null;
    if (!isJsonType(contentType ?? "")) return;
    return (await readJsonBody(request, limits)) ?? {};
  });
  const exemptSelfParsing = (app: AnyElysia) => {
    for (const r of app.routes) {
      const parse = (r.hooks as { parse?: Array<{ fn?: unknown }> }).parse ?? [];
      if (parse.some((p) => p.fn === "none")) selfParsing.add(`${r.method} ${r.path}`);
    }
  };
  return { plugin, exemptSelfParsing };
}
