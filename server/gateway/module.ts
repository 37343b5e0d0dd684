/**
 * The LLM gateway as a module (docs/development.md "Layers", the module contract): its service, its
 * routes, the error format its paths answer in (OpenAI's), and its lifecycle. The spend flush timer
 * starts with the first load of the models (GatewayService.ready), so an app driven in-process
 * (tests) flushes too; `stop()` clears it and flushes what is queued.
 */
import type { AuthGuard } from "../http/auth-guard";
import { gatewayErrorFormat } from "./errors";
import { gatewayRoutes } from "./index";
import { type GatewayDeps, GatewayService } from "./service";

export function createGateway(deps: GatewayDeps & { guard: AuthGuard }) {
  const { guard, ...serviceDeps } = deps;
  const service = new GatewayService(serviceDeps);
  return {
    service,
    routes: gatewayRoutes({ gateway: service, guard, database: deps.database, env: deps.config.env }),
    /** Gateway paths answer errors in OpenAI's shape, and refusals are counted (server/http/errors.ts). */
    errorFormat: gatewayErrorFormat((request, error, requestId) => service.recordRefusal(request, error, requestId)),
    /** Loads the models: a bad LAP_GATEWAY_CONFIG stops the start with its message, not the first model call. */
    start: async () => void (await service.ready()),
    stop: () => service.close(),
  };
}
export type GatewayModule = ReturnType<typeof createGateway>;
