import { defineConfig } from "drizzle-kit";

// `bun run db:generate` writes SQL migrations into drizzle/; they are committed and applied at start-up.
export default defineConfig({
  dialect: "postgresql",
  schema: "./schema/index.ts",
  out: "./drizzle",
});
