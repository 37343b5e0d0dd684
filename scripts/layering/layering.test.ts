import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { importGraph, specifiersOf } from "./import-graph";
import { CHECKED, violations } from "./rules";
import { tableAccess, tableViolations } from "./table-owners";
import * as schema from "../../schema";
import { getTableName, is } from "drizzle-orm";
import { PgTable } from "drizzle-orm/pg-core";

const ROOT = join(import.meta.dir, "../..");

describe("the layers of docs/development.md", () => {
  test("LAP's own imports keep them: no back-arrow, no circle", () => {
    const edges = importGraph(ROOT, CHECKED);
    // The scan found the whole tree, not an empty folder.
    expect(edges.length).toBeGreaterThan(1000);
    expect(violations(edges)).toEqual([]);
  });
});

describe("the check fails on a new back-arrow", () => {
  const dir = mkdtempSync(join(tmpdir(), "lap-layering-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  write("server/gateway/errors.ts", "export type OpenAiError = { message: string };\n");
  write("server/http/errors.ts", 'import type { OpenAiError } from "../gateway/errors";\nexport const x: OpenAiError | null = null;\n');
  write("server/lib/strings.ts", "export const s = 1;\n");
  write("harness/agent/main.ts", 'import { s } from "../../server/lib/strings.ts";\nconsole.log(s);\n');
  write("mcp/index.ts", 'import { type Routes } from "./user-routes";\nexport interface McpModule { routes?: Routes }\n');
  write("mcp/user-routes.ts", 'export type Routes = import("./index").McpModule[];\n');
  write("server/sessions/service.ts", 'export * from "../../test/support/fake";\n');
  write("test/support/fake.ts", "export const fake = 1;\n");
  write(
    "server/sandboxes/runtime/for-sessions.ts",
    'import type { SessionService } from "../../sessions/service";\nexport type S = SessionService;\n',
  );
  write("server/app.ts", 'import "./sessions/service";\nimport { s } from "./lib/strings";\nexport const app = s;\n');
  write("server/lib/strings.test.ts", 'import "../app";\n');
  write("slack/ports.ts", "export interface SessionsPort { id: string }\n");
  write("server/linear/index.ts", 'import type { SessionsPort } from "../../slack/ports";\nexport type P = SessionsPort;\n');

  test("each broken rule is named with its import", () => {
    expect(violations(importGraph(dir, CHECKED)).sort()).toEqual([
      "harness/agent/main.ts -> server/lib/strings.ts: harness/ imports only harness/ (it runs inside sandboxes)",
      "import circle: mcp/index.ts <-> mcp/user-routes.ts",
      "server/http/errors.ts -> server/gateway/errors.ts: the platform layer imports nothing from features",
      "server/linear/index.ts -> slack/ports.ts: server/ imports nothing from slack/ (the Slack bot builds on server/; what it shares with Linear is in server/sessions/port.ts)",
      "server/sandboxes/runtime/for-sessions.ts -> server/sessions/service.ts: server/sandboxes/ imports nothing from server/sessions/ (sessions drive sandboxes, which get a port from server/app.ts)",
      "server/sessions/service.ts -> test/support/fake.ts: only tests import test helpers",
    ]);
  });
});

describe("the import scan", () => {
  test("sees type-only imports, re-exports and import() types, not comments or strings", () => {
    const source = [
      "#!/usr/bin/env bun",
      'import type { A } from "./a";',
      'import { type B, c } from "./b";',
      "import {\n  type D,\n  type E as F,\n} from './d';",
      'export type { G } from "./g";',
      'export * from "./h";',
      'const i: import("./i").I = c;',
      'const j = await import("./j");',
      '// import k from "./k";',
      'const l = `import m from "./m"`;',
      'export type N = { type: "n" };',
    ].join("\n");
    expect(specifiersOf(source).sort()).toEqual(["./a", "./b", "./d", "./g", "./h", "./i", "./j"]);
  });
});

/** drizzle table variables (`sessions`, `sessionTurns`, …) to their table names. */
const tableSymbols = new Map(
  Object.entries(schema).flatMap(([name, value]) => (is(value, PgTable) ? [[name, getTableName(value as PgTable)] as const] : [])),
);

describe('one owner per table (docs/development.md "Layers")', () => {
  test("only a table's owner writes it, and runtimes and sandboxes read only their own tables", () => {
    expect(tableSymbols.size).toBeGreaterThan(40);
    expect(tableViolations(ROOT, ["server", "mcp", "slack"], tableSymbols)).toEqual([]);
  });

  test("fails on a second writer and on a lower feature reading another module's table", () => {
    const dir = mkdtempSync(join(tmpdir(), "lap-owners-"));
    try {
      const write = (path: string, text: string) => {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), text);
      };
      write("server/sessions/service.ts", "await q(\"update approvals set status = 'expired' where session_id = $1\");\n");
      write("server/linear/webhook.ts", "await tx.update(sessionTurns).set({ interruptRequested: true });\n");
      write("server/sandboxes/warm-pool.ts", 'await q("select s.agent_id from sandboxes x join agents a on a.id = x.agent_id");\n');
      write("server/approvals/record.ts", 'await q("insert into approvals (id) select $1 from sessions s");\n');
      expect(tableViolations(dir, ["server"], tableSymbols).sort()).toEqual([
        "server/linear/webhook.ts writes session_turns, owned by server/sessions/",
        "server/sandboxes/warm-pool.ts reads agents, owned by server/agents/",
        "server/sessions/service.ts writes approvals, owned by server/approvals/",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("reads raw SQL and drizzle calls, a write outranking a read", () => {
    const source =
      'db.select().from(sessions); q("delete from session_events where seq > 1"); q("select 1 from agents"); tx.insert(approvals)';
    expect(tableAccess(source, tableSymbols).sort((a, b) => a.table.localeCompare(b.table))).toEqual([
      { table: "agents", access: "read" },
      { table: "approvals", access: "write" },
      { table: "session_events", access: "write" },
      { table: "sessions", access: "read" },
    ]);
  });
});
