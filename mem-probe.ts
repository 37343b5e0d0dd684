import { PGlite } from "@electric-sql/pglite";
const rss = () => (process.memoryUsage().rss / 2**20).toFixed(0);
console.log("start", rss());
const im = process.env.IM ? Number(process.env.IM) : undefined;
const pg = await PGlite.create({ dataDir: "/tmp/memtest-" + (im ?? "d"), initialMemory: im });
await pg.query("select 1");
Bun.gc(true);
console.log("after", rss(), im);
await pg.close();
