import { Elysia } from "elysia";
import type { Logger } from "../lib/logger";
import { ApiError, envelope, type FieldError } from "../lib/errors";
import { dataErrorColumn, dataErrorMessage } from "../lib/pg-errors";
import { requestIdOf } from "./request-context";
import { MAX_FIELDS } from "./validation";

interface ValidationIssue {
  path?: string | (string | number)[];
  message?: string;
  summary?: string;
}

const fieldName = (path: ValidationIssue["path"]) =>
  (Array.isArray(path) ? path.join(".") : (path ?? "")).replace(/^\//, "").replaceAll("/", ".") || "(body)";

/**
 * A protocol that answers its errors in its own shape (the LLM gateway: OpenAI's, server/gateway/errors.ts),
 * handed in by server/app.ts: this layer knows no feature.
 */
export interface ErrorFormat {
  /** Whether errors on this path are this protocol's. */
  owns(path: string): boolean;
  /** The body to answer with; it may add headers. */
  render(
    error: ApiError,
    ctx: { request: Request; path: string; requestId: string | undefined; headers: Record<string, string | number> },
  ): unknown;
}

/**
 * Maps every failure to the one JSON envelope; validation failures name each failing field. A path
 * one of `formats` owns is answered in that protocol's shape instead.
 */
export function errorHandler(logger: Logger, opts: { formats?: ErrorFormat[] } = {}) {
  return new Elysia({ name: "error-handler" }).onError({ as: "global" }, ({ code, error, request, set }) => {
    const requestId = requestIdOf(request);
    let apiError: ApiError;
    // Elysia wraps what a parser throws (server/http/json-body.ts) in its ParseError.
    const cause = (error as { cause?: unknown }).cause;
    if (code === "PARSE" && cause instanceof ApiError) {
      apiError = cause;
    } else if (error instanceof ApiError) {
      apiError = error;
      if (error.headers) Object.assign(set.headers, error.headers);
    } else if (code === "VALIDATION") {
      // Inputs never get here: installInputValidation (./validation.ts) throws its own 400 before Elysia
      // builds a ValidationError (which serializes the whole value). What is left is response validation.
      const all = (((error as unknown as { all?: ValidationIssue[] }).all ?? []) as ValidationIssue[]).slice(0, MAX_FIELDS);
      const where = (error as unknown as { type?: string }).type ?? "body";
      // An unknown key is named itself, not the object that holds it.
      const fields: FieldError[] = all.flatMap((i) => {
        const field = fieldName(i.path);
        const message = i.message ?? i.summary ?? "invalid";
        const unknown = /^Unrecognized keys?: (.+)$/.exec(message);
        if (!unknown) return [{ field, message }];
        const parent = field === "root" || field === "(body)" ? "" : `${field}.`;
        return [...unknown[1]!.matchAll(/"([^"]+)"/g)].map((m) => ({ field: `${parent}${m[1]}`, message: "unknown field" }));
      });
      const summary = fields.map((f) => `${f.field}: ${f.message}`).join("; ");
      apiError = new ApiError(400, "invalid_request", `Invalid ${where}: ${summary}`, fields);
    } else if (code === "PARSE") {
      apiError = new ApiError(400, "invalid_json", "Request body could not be parsed: send valid JSON with content-type application/json");
    } else if (code === "NOT_FOUND") {
      apiError = new ApiError(404, "not_found", `No route for ${request.method} ${new URL(request.url).pathname}`);
    } else if (code === "INVALID_COOKIE_SIGNATURE" || code === "INVALID_FILE_TYPE") {
      apiError = new ApiError(400, "invalid_request", (error as Error).message);
    } else if (dataErrorMessage(error)) {
      // The database refused a value validation let through: the caller's input, so a 400 (never echoing the value).
      const message = dataErrorMessage(error)!;
      logger.warn(
        { request_id: requestId, pg_code: (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code },
        "database refused a value",
      );
      apiError = new ApiError(400, "invalid_request", `Invalid request: ${message}`, [
        { field: dataErrorColumn(error) ?? "(body)", message },
      ]);
    } else {
      logger.error({ request_id: requestId, err: error, code }, "unhandled error");
      apiError = new ApiError(500, "internal_error", "Something went wrong on our side; the request id is in the logs");
    }
    set.status = apiError.status;
    set.headers["content-type"] = "application/json";
    const path = new URL(request.url).pathname;
    const format = opts.formats?.find((f) => f.owns(path));
    if (format) return format.render(apiError, { request, path, requestId, headers: set.headers });
    return envelope(apiError, requestId);
  });
}
