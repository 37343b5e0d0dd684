/**
 * Opaque keyset-pagination cursors for list endpoints: the id of the last row of a page. A cursor the
 * server did not issue is a 400 naming `cursor`.
 */
import { badRequest } from "./errors";

export const encodeCursor = (id: string) => Buffer.from(JSON.stringify({ after: id })).toString("base64url");

export function decodeCursor(cursor: string): string {
  try {
    const { after } = JSON.parse(Buffer.from(cursor, "base64url").toString()) as { after: unknown };
    if (typeof after !== "string" || !after) throw new Error();
    return after;
  } catch {
    throw badRequest("cursor: not a cursor from next_cursor", [{ field: "cursor", message: "not a cursor from next_cursor" }]);
  }
}
