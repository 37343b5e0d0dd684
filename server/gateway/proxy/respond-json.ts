import { ApiError } from "../../lib/errors";
import type { Json } from "../types";
import { tokenCountsOf } from "../translate/usage";
import type { Finish } from "./record";
import type { Served } from "./route";
import { storable } from "./stored-body";

/** A JSON answer: read whole, translated when the caller speaks another format, recorded with its cost in a header. */
export async function respondJson(
  served: Served,
  finish: Finish,
  storePrompts: boolean,
  headers: Record<string, string>,
): Promise<Response> {
  const { res, plan, deployment } = served;
  let text: string;
  let json: Json;
  try {
    text = await res.text();
    json = JSON.parse(text);
  } catch (err) {
    finish({ input: 0, output: 0, ttftMs: null, error: `invalid upstream response: ${(err as Error).message}` });
    throw new ApiError(502, "upstream_error", "The provider sent a response that is not JSON");
  }
  const tokens = tokenCountsOf(deployment.provider, json);
  const outText = plan.translateJson ? JSON.stringify(plan.translateJson(json)) : text;
  const responseBody = storePrompts ? storable(plan.translateJson ? JSON.parse(outText) : json) : undefined;
  const cost = finish({ ...tokens, ttftMs: null, responseBody });
  headers["x-litellm-response-cost"] = String(cost);
  headers["content-type"] = "application/json";
  return new Response(outText, { status: 200, headers });
}
