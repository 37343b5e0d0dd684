// The dashboard's home (GET /api/overview, admins).
import type { Overview } from "../../../../server/overview/model";
import { request } from "./client";

export type { Overview };
export const overviewApi = {
  overview: (hours: number) => request<Overview>("GET", `/api/overview?hours=${hours}`),
};
