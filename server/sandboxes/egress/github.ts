/**
 * What the egress proxy understands of GitHub (docs/github.md):
 * - git and gh send a token as HTTP Basic credentials (`x-access-token:<token>` in base64), so a vault
 *   stub inside Basic credentials is swapped like one in a plain header (`swapBasic`).
 * - A pull request created through a terminated tunnel (REST `POST /repos/{owner}/{repo}/pulls` on
 *   api.github.com or a GitHub Enterprise host's `/api/v3`, or GraphQL `createPullRequest`) is read from
 *   GitHub's answer, never from what the sandbox claims, and reported so the session shows its link.
 */

export interface PullRequestSeen {
  url: string;
  number: number | null;
  title: string | null;
  /** `owner/repo`. */
  repository: string | null;
  host: string;
}

const REST_CREATE = /^(?:\/api\/v3)?\/repos\/([^/]+)\/([^/]+)\/pulls\/?$/;
const GRAPHQL = /^(?:\/api)?\/graphql\/?$/;
const MAX_ANSWER = 2 * 1024 * 1024;

/** Whether this request may create a pull request (then its answer is read). */
export function mayCreatePullRequest(method: string, pathname: string, requestBody: string | Uint8Array | undefined): boolean {
  if (method !== "POST") return false;
  if (REST_CREATE.test(pathname)) return true;
  return GRAPHQL.test(pathname) && typeof requestBody === "string" && requestBody.includes("createPullRequest");
}

/** The pull request in GitHub's answer (201 REST, or a GraphQL mutation's data), or null. */
export async function pullRequestIn(
  answer: ReadableStream<Uint8Array>,
  status: number,
  host: string,
  pathname: string,
): Promise<PullRequestSeen | null> {
  const text = await readCapped(answer);
  if (text === null) return null;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return null;
  }
  const rest = REST_CREATE.exec(pathname);
  const pr = rest ? (status === 201 ? doc : null) : dig(doc, ["data", "createPullRequest", "pullRequest"]);
  if (!pr || typeof pr !== "object") return null;
  const o = pr as Record<string, unknown>;
  const url = typeof o.html_url === "string" ? o.html_url : typeof o.url === "string" ? o.url : null;
  if (!url || !/^https?:\/\/[^\s]+\/pull\/\d+$/.test(url)) return null;
  const fromUrl = /\/([^/]+\/[^/]+)\/pull\/(\d+)$/.exec(url);
  return {
    url,
    number: Number.isInteger(o.number) ? (o.number as number) : fromUrl ? Number(fromUrl[2]) : null,
    title: typeof o.title === "string" ? o.title.slice(0, 300) : null,
    repository: rest ? `${decodeURIComponent(rest[1]!)}/${decodeURIComponent(rest[2]!)}` : (fromUrl?.[1] ?? null),
    host,
  };
}

/** `Basic base64(user:password)` with stubs swapped by `swap` inside the decoded credentials; other values unchanged. */
export function swapBasic(value: string, swap: (text: string) => string): string {
  const m = /^(basic)\s+([A-Za-z0-9+/=]+)\s*$/i.exec(value);
  if (!m) return swap(value);
  const decoded = Buffer.from(m[2]!, "base64").toString("utf8");
  const swapped = swap(decoded);
  return swapped === decoded ? value : `${m[1]} ${Buffer.from(swapped, "utf8").toString("base64")}`;
}

async function readCapped(stream: ReadableStream<Uint8Array>): Promise<string | null> {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_ANSWER) {
      await reader.cancel().catch(() => {});
      return null;
    }
    parts.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(parts));
}

function dig(doc: unknown, path: string[]): unknown {
  let at: unknown = doc;
  for (const k of path) at = at && typeof at === "object" ? (at as Record<string, unknown>)[k] : undefined;
  return at;
}
