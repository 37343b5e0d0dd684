/**
 * The LLM gateway as a module (docs/development.md "Layers", the module contract): its service, its
 * routes, the error format its paths answer in (OpenAI's), and its lifecycle. Its one timer, the spend
 * flush, runs between `start()` and `stop()`; an app driven in-process without `start()` (tests)
 * writes queued spend with an explicit `service.flush()`.
 */
import type { AuthGuard } from "../http/auth-guard";
import { gatewayErrorFormat } from "./errors";
import { gatewayRoutes } from "./index";
import { type GatewayDeps, GatewayService } from "./service";

export function createGateway(deps: GatewayDeps & { guard: AuthGuard }) {
  const { guard, ...serviceDeps } = deps;
  const service = new GatewayService(serviceDeps);
  const flushing = spendFlushTimer(service, deps.settings.LAP_GATEWAY_SPEND_FLUSH_MS);
  return {
    service,
    routes: gatewayRoutes({ gateway: service, guard, database: deps.database, settings: deps.settings }),
    /** Gateway paths answer errors in OpenAI's shape, and refusals are counted (server/http/errors.ts). */
    errorFormat: gatewayErrorFormat((request, error, requestId) => service.recordRefusal(request, error, requestId)),
    /**
     * Loads the models (a bad LAP_GATEWAY_CONFIG stops the start with its message, not the first model
     * call), then writes queued spend rows and key spend every LAP_GATEWAY_SPEND_FLUSH_MS.
     */
    start: async () => {
      await service.ready();
      flushing.start();
    },
    /** Ends the timer and writes what is still queued. */
    stop: async () => {
      flushing.stop();
      await service.flush().catch(() => {});
    },
  };
}
export type GatewayModule = ReturnType<typeof createGateway>;

/**
 * Calls `flush()` every `intervalMs` between `start()` and `stop()` (a failed flush keeps its rows
 * queued for the next). Also used by the gateway benchmarks, which serve the app without starting it.
 */
export function spendFlushTimer(gateway: Pick<GatewayService, "flush">, intervalMs: number) {
  let timer: ReturnType<typeof setInterval> | undefined;
  return {
    start() {
      if (timer) return;
      timer = setInterval(() => void gateway.flush().catch(() => {}), intervalMs);
      timer.unref?.();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
