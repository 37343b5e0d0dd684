/** The supervisor's events route validates `user.tool_confirmation` like the rest of its Managed Agents API. */
import { expect, test } from "bun:test";
import { createHandler } from "./routes";
import { Supervisor } from "./supervisor";

const TOKEN = "supervisor-token-0123456789";
const sup = new Supervisor({
  harnessName: "builtin",
  harnessEntry: "/nonexistent",
  bunPath: process.execPath,
  workspace: "/tmp",
  harnessEnv: {},
  token: TOKEN,
  defaultMaxSteps: 5,
  log: () => {},
});
const handle = createHandler(sup);
const call = (path: string, body: unknown) =>
  handle(
    new Request(`http://sandbox${path}`, {
      method: "POST",
      headers: { "x-api-key": TOKEN, "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  );

test("a confirmation with a bad result is 400 naming the field; a good one needs a running harness", async () => {
  const bound = await call("/lap/bind", {
    sessionId: "ses_1",
    agentId: "a",
    gatewayKey: "k",
    gatewayBaseUrl: "http://127.0.0.1:1/v1",
    model: "m",
    approvalRequiredTools: ["bash"],
  });
  expect(bound.status).toBe(200);
  const bad = await call("/v1/sessions/ses_1/events", { events: [{ type: "user.tool_confirmation", tool_use_id: "t1", result: "maybe" }] });
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { error: { fields: { field: string }[] } }).error.fields[0]!.field).toBe("events.0.result");
  const missing = await call("/v1/sessions/ses_1/events", { events: [{ type: "user.tool_confirmation", result: "allow" }] });
  expect(missing.status).toBe(400);
  // No harness process in this test: the confirmation is refused, and nothing is logged as sent.
  const before = sup.log.lastSeq;
  const noHarness = await call("/v1/sessions/ses_1/events", {
    events: [{ type: "user.tool_confirmation", tool_use_id: "t1", result: "allow" }],
  });
  expect(noHarness.status).toBe(409);
  expect(sup.log.lastSeq).toBe(before);
});

test("a bind with an egress CA that is not a PEM certificate is 400 naming the field and binds nothing; a PEM is written to a bundle the harness env points at", async () => {
  const fresh = new Supervisor({
    harnessName: "builtin",
    harnessEntry: "/nonexistent",
    bunPath: process.execPath,
    workspace: "/tmp",
    harnessEnv: {},
    token: TOKEN,
    defaultMaxSteps: 5,
    log: () => {},
  });
  const post = (body: unknown) =>
    createHandler(fresh)(
      new Request("http://sandbox/lap/bind", {
        method: "POST",
        headers: { "x-api-key": TOKEN, "content-type": "application/json" },
        body: JSON.stringify(body),
      }),
    );
  const binding = {
    sessionId: "ses_ca",
    agentId: "a",
    gatewayKey: "k",
    gatewayBaseUrl: "http://127.0.0.1:1/v1",
    model: "m",
    env: { HTTPS_PROXY: "http://lap-1:t@lap:3128" },
  };
  const bad = await post({ ...binding, egressCaPem: "not a certificate" });
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { error: { fields: { field: string }[] } }).error.fields[0]!.field).toBe("egressCaPem");
  expect(fresh.binding).toBeNull();
  const pem = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----";
  expect((await post({ ...binding, egressCaPem: pem })).status).toBe(200);
  const env = (fresh as unknown as { opts: { harnessEnv: Record<string, string> } }).opts.harnessEnv;
  expect(env.HTTPS_PROXY).toBe("http://lap-1:t@lap:3128");
  for (const k of ["SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE"]) expect(env[k]).toBe(env.SSL_CERT_FILE!);
  const bundle = await Bun.file(env.SSL_CERT_FILE!).text();
  expect(bundle.trimEnd().endsWith(pem)).toBe(true);
  expect(bundle).toContain("-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nMIIBfake");
});

test("a user.message may carry image and document blocks; an unknown media type or a URL source is 400", async () => {
  const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
  const image = (source: unknown) => ({
    events: [
      {
        type: "user.message",
        content: [
          { type: "text", text: "see" },
          { type: "image", source },
        ],
      },
    ],
  });
  const svg = await call("/v1/sessions/ses_1/events", image({ type: "base64", media_type: "image/svg+xml", data: png }));
  expect(svg.status).toBe(400);
  expect(((await svg.json()) as { error: { fields: { field: string }[] } }).error.fields[0]!.field).toBe(
    "events.0.content.1.source.media_type",
  );
  expect((await call("/v1/sessions/ses_1/events", image({ type: "url", url: "http://169.254.169.254/" }))).status).toBe(400);
  // A well-formed one passes validation (and then needs a running harness, which this test has none of).
  expect((await call("/v1/sessions/ses_1/events", image({ type: "base64", media_type: "image/png", data: png }))).status).toBe(409);
});
