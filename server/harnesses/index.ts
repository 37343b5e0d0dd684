import { Elysia } from "elysia";
import type { AuthGuard } from "../http/auth-guard";
import { harnessList } from "./model";
import { defaultProbe, type HarnessProbe, listHarnesses } from "./service";

/** GET /api/harnesses: the harnesses agents can run and whether each CLI is installed. */
export function harnessRoutes(deps: { guard: AuthGuard; probe?: HarnessProbe }) {
  const probe = deps.probe ?? defaultProbe;
  return new Elysia({ prefix: "/api/harnesses", detail: { tags: ["Harnesses"] } })
    .use(deps.guard)
    .get("/", () => ({ data: listHarnesses(probe) }), {
      response: harnessList,
      detail: { summary: "Harnesses an agent can run, with descriptions and install status" },
    });
}
