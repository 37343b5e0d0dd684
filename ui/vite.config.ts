import { defineConfig } from "vite";
import solid from "vite-plugin-solid";

// The dashboard is served by LAP itself from ui/dist; `vite` (dev) proxies API calls to a running LAP.
export default defineConfig({
  plugins: [solid()],
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", chunkSizeWarningLimit: 900 },
  server: {
    proxy: Object.fromEntries(
      ["/api", "/v1", "/health", "/docs", "/openapi.json", "/mcp", "/key", "/spend", "/model"].map((p) => [
        p,
        { target: process.env.LAP_URL ?? "http://127.0.0.1:3000", ws: true },
      ]),
    ),
  },
});
