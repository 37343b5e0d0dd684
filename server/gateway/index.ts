import { Elysia } from "elysia";
import type { Database } from "../db/client";
import type { AuthGuard } from "../http/auth-guard";
import { keyAdminRoutes } from "./routes/keys";
import { modelAdminRoutes } from "./routes/models";
import { proxyRoutes } from "./routes/proxy";
import { spendRoutes } from "./routes/spend";
import type { GatewayService, GatewaySettings } from "./service";

export { GatewayService } from "./service";

/** Every gateway route: the LLM API, key and model admin, spend. */
export function gatewayRoutes(deps: { gateway: GatewayService; guard: AuthGuard; database: Database; settings: GatewaySettings }) {
  return new Elysia({ name: "gateway" })
    .use(proxyRoutes(deps))
    .use(keyAdminRoutes(deps))
    .use(modelAdminRoutes(deps))
    .use(spendRoutes(deps));
}
