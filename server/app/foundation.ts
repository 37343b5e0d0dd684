/**
 * What every module stands on, built first (docs/development.md "Layers"): LAP's public URL, the
 * destination check, metrics, traces, the audit trail, authentication and the auth guard.
 */
import { auditTrail, AuditService } from "../audit";
import { AuthService } from "../auth/service";
import { createAuthGuard } from "../http/auth-guard";
import { LapMetrics, recordersFor } from "../metrics";
import { DestinationGuard } from "../net/destinations";
import { StreamTokens } from "../sessions/stream/tokens";
import { createTracing } from "../tracing/tracing";
import type { AppDeps } from "./deps";

export function buildFoundation(deps: AppDeps) {
  const { config, database } = deps;
  // LAP's public URL, read when used: without BASE_URL it is known only once the server listens
  // (PORT may be 0), when the app's start() sets it (server/app/lifecycle.ts).
  const baseUrl = () => config.baseUrl;
  // The one check of every destination a user names (docs/security.md, "User-supplied URLs and hosts").
  const destinations = deps.destinations ?? DestinationGuard.fromEnv(config.env);
  // One registry per app, handed to each module as the narrow recorder it needs (docs/operations.md "Metrics").
  const metrics = deps.metrics ?? new LapMetrics();
  const record = recordersFor(metrics);
  const tracing = deps.tracing ?? createTracing(config.env, { version: config.version });
  // Who changed what, recorded by each service in the transaction of its change (docs/operations.md "Audit trail").
  const audit = auditTrail;
  const auditLog = new AuditService({ database });
  const auth = new AuthService({ database, masterKey: config.masterKey, backoff: deps.authBackoff, audit });
  // Session stream tokens are a kind of credential the guard accepts (server/sessions/stream/tokens.ts).
  const tokens = new StreamTokens(config.masterKey);
  const guard = createAuthGuard(auth, [tokens.authenticate], {
    allowedOrigins: () => [new URL(baseUrl()).origin],
    trustedProxyHops: config.env.LAP_TRUSTED_PROXY_HOPS,
    metricsToken: config.env.LAP_METRICS_TOKEN,
  });
  return {
    baseUrl,
    destinations,
    metrics,
    record,
    tracing,
    /** Whether this app made its tracing (and so shuts it down in stop()). */
    ownsTracing: !deps.tracing,
    tracer: tracing.tracer,
    audit,
    auditLog,
    auth,
    tokens,
    guard,
  };
}
export type Foundation = ReturnType<typeof buildFoundation>;
