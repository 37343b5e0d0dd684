import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createDatabase } from "./client";
import { migrate, migrationStatus } from "./migrate";
import { freshPostgresUrl } from "../../test/support/db";
import { NEEDS_POSTGRES, requires } from "../../test/support/skip";

describe("migrations", () => {
  let fresh: Awaited<ReturnType<typeof freshPostgresUrl>> | undefined;
  beforeAll(async () => {
    if (!NEEDS_POSTGRES) fresh = await freshPostgresUrl();
  }, 60_000);
  afterAll(() => fresh?.drop());

  // Several processes on one database: PGlite is one process, so this exists on PostgreSQL only.
  requires(NEEDS_POSTGRES).test("processes starting at once do not both migrate (advisory lock)", async () => {
    // Four separate connection pools stand in for four LAP processes starting together.
    const dbs = await Promise.all([1, 2, 3, 4].map(() => createDatabase({ url: fresh!.url, max: 2 })));
    const results = await Promise.all(dbs.map((d) => migrate(d)));
    const appliers = results.filter((r) => r.applied.length > 0);
    expect(appliers.length).toBe(1);
    const status = await migrationStatus(dbs[0]!);
    expect(status.pending).toBe(0);
    expect(status.applied).toBe(status.total);
    const tables = await dbs[0]!.query<{ n: number }>(
      "select count(*)::int as n from information_schema.tables where table_name = 'api_keys'",
    );
    expect(tables[0]!.n).toBe(1);
    await Promise.all(dbs.map((d) => d.close()));
  });

  test("embedded: migrate is idempotent and status is exact", async () => {
    const db = await createDatabase({});
    expect((await migrationStatus(db)).applied).toBe(0);
    const [a, b] = await Promise.all([migrate(db), migrate(db)]);
    expect(a.applied.length + b.applied.length).toBe((await migrationStatus(db)).total);
    expect((await migrate(db)).applied).toEqual([]);
    await db.close();
  }, 60_000);
});
