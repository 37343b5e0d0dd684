import { z } from "zod";
import { idString, safeString } from "../lib/strings";

const isoTime = (what: string) => z.iso.datetime({ offset: true, message: `must be an ISO date-time (${what})` });

/** GET /api/audit filters; rows come newest first, `cursor` continues after the last row of a page. */
export const listAuditQuery = z.object({
  /** A key id or user id: rows this caller made. */
  actor: idString(200).optional(),
  /** An exact action (agent.update) or a prefix ending in a dot (agent.). */
  action: safeString({ max: 100, line: true }).optional(),
  object_type: safeString({ max: 50, line: true }).optional(),
  object_id: idString(200).optional(),
  since: isoTime("rows at or after").optional(),
  until: isoTime("rows before").optional(),
  limit: z.coerce.number({ error: "must be a number" }).int().min(1, "at least 1").max(500, "at most 500").default(100),
  /** Opaque cursor from `next_cursor`. */
  cursor: z.string().max(200).optional(),
});
export type ListAuditQuery = z.infer<typeof listAuditQuery>;

export const auditView = z.object({
  id: z.string(),
  at: z.string(),
  actor: z.object({
    kind: z.string(),
    key_id: z.string().nullable(),
    user_id: z.string().nullable(),
    label: z.string(),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    request_id: z.string().nullable(),
  }),
  action: z.string(),
  object: z.object({ type: z.string(), id: z.string().nullable(), team_id: z.string().nullable() }),
  changes: z.record(z.string(), z.object({ before: z.unknown(), after: z.unknown() })),
  detail: z.record(z.string(), z.unknown()),
});
export type AuditView = z.infer<typeof auditView>;

export const auditListView = z.object({ data: z.array(auditView), next_cursor: z.string().nullable() });
