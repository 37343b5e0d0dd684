import pino, { type Logger } from "pino";

export type { Logger };

/** Keys whose values never reach a log line, wherever they appear in the logged object. */
const REDACT = [
  "authorization",
  "*.authorization",
  "headers.authorization",
  'headers["x-api-key"]',
  "*.apiKey",
  "*.api_key",
  "*.masterKey",
  "*.password",
  "*.token",
  "*.secret",
];

export function createLogger(level = "info", base: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { service: "lap", ...base },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT, censor: "[redacted]" },
  });
}
