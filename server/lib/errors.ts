import type { ErrorCode } from "./error-codes";

/** One JSON error envelope everywhere: `{ error: { code, message, fields?, request_id } }`. */
export interface FieldError {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** One of ./error-codes.ts, each with what it means. */
    readonly code: ErrorCode,
    message: string,
    readonly fields?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const badRequest = (message: string, fields?: FieldError[]) => new ApiError(400, "invalid_request", message, fields);
export const unauthorized = (message = "Authentication required: send Authorization: Bearer <key> or x-api-key") =>
  new ApiError(401, "unauthorized", message);
export const forbidden = (message = "This key is not allowed to do that") => new ApiError(403, "forbidden", message);
export const notFound = (what = "Resource") => new ApiError(404, "not_found", `${what} not found`);
export const conflict = (message: string) => new ApiError(409, "conflict", message);

export interface ErrorEnvelope {
  error: { code: ErrorCode; message: string; fields?: FieldError[]; request_id?: string };
}

export function envelope(err: ApiError, requestId?: string): ErrorEnvelope {
  return {
    error: {
      code: err.code,
      message: err.message,
      ...(err.fields ? { fields: err.fields } : {}),
      ...(requestId ? { request_id: requestId } : {}),
    },
  };
}
