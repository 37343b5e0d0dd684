/** What createApp (server/app.ts) is built from: the configuration, the database, and test hooks. */
import type { BackoffOptions } from "../auth/backoff";
import type { Clock } from "../automation/clock";
import type { Config } from "../config/load";
import type { Database } from "../db/client";
import type { Logger } from "../lib/logger";
import type { LapMetrics } from "../metrics";
import type { DestinationGuard } from "../net/destinations";
import type { RuntimeServiceDeps } from "../runtimes/service";
import type { KubernetesSandboxes } from "../sandboxes/kubernetes";
import type { SessionModuleDeps } from "../sessions/module";
import type { SessionsPort } from "../sessions/port";
import type { Tracing } from "../tracing/tracing";

/** Test hooks of the sessions module, and the runtimes' adapters (a fake runtime's). */
export type SessionOptions = Partial<SessionModuleDeps> & Pick<RuntimeServiceDeps, "adapterFactory">;

export interface AppDeps {
  config: Config;
  database: Database;
  logger: Logger;
  rawEnv?: Record<string, string | undefined>;
  /** Set when LAP_SANDBOX=kubernetes (createKubernetesSandboxes); the app's `stop()` closes it. */
  kubernetes?: KubernetesSandboxes;
  uiDist?: string;
  /** Test hooks for the session worker (time scale, sweep interval) and the runtimes' adapters. */
  sessionOptions?: SessionOptions;
  /** Replaces the sessions service under the Slack bot (tests of Slack alone); default: the real one. */
  slackSessions?: SessionsPort;
  slackOptions?: { minEditIntervalMs?: number; turnTimeoutMs?: number };
  /** Test knob of the Linear integration: how long one turn is followed before LAP stops posting. */
  linearOptions?: { turnTimeoutMs?: number };
  /** Replaces the destination check built from LAP_ALLOW_PRIVATE_HOSTS (tests: a resolver on a local DNS stub). */
  destinations?: DestinationGuard;
  /** Backoff on failed logins and keys (server/auth/backoff.ts); tests tighten or loosen it. */
  authBackoff?: Partial<BackoffOptions>;
  /** The clock of schedules and webhook triggers (tests drive it); default: the system's. */
  clock?: Clock;
  /**
   * Test hooks of the scheduler and the trigger callbacks (how late a slot counts as missed, retry waits,
   * how often their loops tick once started: tests that tick by hand set it past their length).
   */
  automationOptions?: { missedAfterMs?: number; callbackBackoffMs?: number[]; callbackTimeoutMs?: number; tickMs?: number };
  /** The Prometheus registry the modules record into (GET /metrics); default: a new one for this app. */
  metrics?: LapMetrics;
  /** OpenTelemetry traces; default: from the OTEL_EXPORTER_OTLP_* variables (off when no endpoint is set). */
  tracing?: Tracing;
}
