import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestApp, type TestApp } from "../../test/support/app";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
}, 60_000);
afterAll(() => t?.close());

describe("API docs", () => {
  test("/openapi.json is generated from the route schemas", async () => {
    const { status, body } = await t.json("GET", "/openapi.json");
    expect(status).toBe(200);
    const create = body.paths["/api/keys"].post;
    const schema = create.requestBody.content["application/json"].schema;
    expect(schema.properties.label.type).toBe("string");
    expect(schema.properties.role.enum).toEqual(["admin", "user"]);
    expect(schema.required).toContain("label");
    expect(body.components.securitySchemes.bearer.scheme).toBe("bearer");
    expect(body.paths["/docs/scalar.js"]).toBeUndefined();
  });

  test("the docs page loads its script from LAP itself, not a CDN", async () => {
    const html = await (await t.request("GET", "/docs")).text();
    expect(html).toContain('src="/docs/scalar.js"');
    expect(html).not.toMatch(/https?:\/\/(cdn|unpkg|fonts)\./);
    const script = await t.request("GET", "/docs/scalar.js");
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toContain("javascript");
    expect((await script.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
  });

  test("the docs page turns off Scalar's hosted-service menus (Deploy, Open API Client) and telemetry", async () => {
    const html = await (await t.request("GET", "/docs")).text();
    const config = JSON.parse(
      /data-configuration='([^']*)'/.exec(html)?.[1]?.replaceAll("&quot;", '"') ??
        /data-configuration="([^"]*)"/.exec(html)?.[1]?.replaceAll("&quot;", '"') ??
        "{}",
    ) as Record<string, unknown>;
    expect(config).toMatchObject({
      hideClientButton: true,
      showDeveloperTools: "never",
      telemetry: false,
      agent: { disabled: true },
      mcp: { disabled: true },
    });
  });
});
