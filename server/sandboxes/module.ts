/**
 * The sandboxes as a module (docs/development.md "Layers", the module contract): the service, its
 * admin routes, and its lifecycle (`start`: the start-up reconcile, the warm pool's and the cluster's
 * loops, the egress record writer; `stop`: those ended and this process's sandboxes stopped).
 */
import type { AuthGuard } from "../http/auth-guard";
import { sandboxRoutes } from "./index";
import { SandboxService, type SandboxServiceDeps } from "./service";

export function createSandboxes(deps: SandboxServiceDeps & { guard: AuthGuard }) {
  const { guard, ...serviceDeps } = deps;
  const service = new SandboxService(serviceDeps);
  return {
    service,
    routes: sandboxRoutes({ sandboxes: service, guard }),
    start: () => service.start(),
    stop: () => service.shutdown(),
  };
}
export type SandboxesModule = ReturnType<typeof createSandboxes>;
