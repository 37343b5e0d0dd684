import { describe, expect, test } from "bun:test";
import { mayCreatePullRequest, pullRequestIn, swapBasic } from "./github";

const stream = (text: string) => new Response(text).body!;
const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("Basic credentials", () => {
  const swap = (text: string) => text.split("stub_x").join("REAL");
  test("a stub inside Basic credentials is swapped and re-encoded; other values are swapped as text", () => {
    expect(swapBasic(`Basic ${b64("x-access-token:stub_x")}`, swap)).toBe(`Basic ${b64("x-access-token:REAL")}`);
    expect(swapBasic("token stub_x", swap)).toBe("token REAL");
  });
  test("credentials without a stub are passed unchanged, byte for byte", () => {
    const value = `basic ${b64("user:pass")}`;
    expect(swapBasic(value, swap)).toBe(value);
  });
  test("a refusal (the host is not bound) leaves the credentials as they were", () => {
    const value = `Basic ${b64("x-access-token:stub_x")}`;
    expect(swapBasic(value, (t) => t)).toBe(value);
  });
});

describe("pull requests in GitHub's answers", () => {
  test("REST create: only a POST to /repos/{owner}/{repo}/pulls (also under /api/v3), and GraphQL createPullRequest", () => {
    expect(mayCreatePullRequest("POST", "/repos/o/r/pulls", undefined)).toBe(true);
    expect(mayCreatePullRequest("POST", "/api/v3/repos/o/r/pulls", undefined)).toBe(true);
    expect(mayCreatePullRequest("GET", "/repos/o/r/pulls", undefined)).toBe(false);
    expect(mayCreatePullRequest("POST", "/repos/o/r/issues", undefined)).toBe(false);
    expect(mayCreatePullRequest("POST", "/graphql", '{"query":"mutation { createPullRequest(input: {}) { pullRequest { url } } }"}')).toBe(
      true,
    );
    expect(mayCreatePullRequest("POST", "/graphql", '{"query":"{ viewer { login } }"}')).toBe(false);
  });
  test("a 201 answer gives the link, number, title and repository", async () => {
    const pr = await pullRequestIn(
      stream(JSON.stringify({ number: 7, title: "Fix", html_url: "https://github.com/o/r/pull/7" })),
      201,
      "api.github.com",
      "/repos/o/r/pulls",
    );
    expect(pr).toEqual({ url: "https://github.com/o/r/pull/7", number: 7, title: "Fix", repository: "o/r", host: "api.github.com" });
  });
  test("GraphQL's answer gives the link; the number comes from it", async () => {
    const pr = await pullRequestIn(
      stream(JSON.stringify({ data: { createPullRequest: { pullRequest: { url: "https://github.com/o/r/pull/3" } } } })),
      200,
      "api.github.com",
      "/graphql",
    );
    expect(pr).toMatchObject({ url: "https://github.com/o/r/pull/3", number: 3, repository: "o/r" });
  });
  test("a refusal, a link that is not a pull request's, or an answer that is not JSON is not a pull request", async () => {
    expect(await pullRequestIn(stream(JSON.stringify({ message: "Validation Failed" })), 422, "h", "/repos/o/r/pulls")).toBeNull();
    expect(
      await pullRequestIn(stream(JSON.stringify({ number: 1, html_url: "javascript:alert(1)//pull/1" })), 201, "h", "/repos/o/r/pulls"),
    ).toBeNull();
    expect(
      await pullRequestIn(stream(JSON.stringify({ number: 1, html_url: "https://evil.example/x" })), 201, "h", "/repos/o/r/pulls"),
    ).toBeNull();
    expect(await pullRequestIn(stream("<html>"), 201, "h", "/repos/o/r/pulls")).toBeNull();
  });
  test("an answer over 2 MB is not read", async () => {
    expect(
      await pullRequestIn(
        stream(`{"html_url":"https://github.com/o/r/pull/1","pad":"${"x".repeat(3 * 1024 * 1024)}"}`),
        201,
        "h",
        "/repos/o/r/pulls",
      ),
    ).toBeNull();
  });
});
