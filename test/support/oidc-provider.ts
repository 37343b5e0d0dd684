/**
 * A real OpenID Connect provider on loopback for the SSO tests: the certified `oidc-provider` package
 * (discovery, authorization code + PKCE, signed ID tokens), stands in for the company's IdP (Okta,
 * Entra ID, Google...). Its only test-specific part is the interaction: instead of a login form, the
 * account named by `signInAs` is logged in and consents at once, so a test drives the whole redirect
 * chain with plain HTTP and a cookie jar (`followRedirects`).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";

export interface TestAccount {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
}

export interface TestOidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The account the next sign-in logs in as. */
  signInAs(account: TestAccount): void;
  close(): Promise<void>;
}

export async function startOidcProvider(opts: { redirectUri: string }): Promise<TestOidcProvider> {
  let current: TestAccount = { sub: "nobody" };
  const accounts = new Map<string, TestAccount>();
  const clientId = "lap-dashboard";
  const clientSecret = "lap-dashboard-secret-0123456789abcdef";
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [opts.redirectUri],
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
    ],
    pkce: { required: () => true },
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    features: { devInteractions: { enabled: false } },
    findAccount: async (_ctx: unknown, sub: string) => {
      const account = accounts.get(sub);
      return account ? { accountId: sub, claims: async () => ({ ...account }) } : undefined;
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    cookies: { keys: ["test-cookie-key-0123456789"] },
    // Loopback over http: the provider is told it is not behind a TLS proxy.
  } as never);
  const callback = provider.callback();
  server.on("request", async (req, res) => {
    if (!req.url?.startsWith("/interaction/")) return callback(req, res);
    try {
      const details = await provider.interactionDetails(req, res);
      const account = current;
      accounts.set(account.sub, account);
      const grant = new provider.Grant({ accountId: account.sub, clientId: details.params.client_id as string });
      grant.addOIDCScope(String(details.params.scope));
      const grantId = await grant.save();
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: account.sub }, consent: { grantId } },
        { mergeWithLastSubmission: false },
      );
    } catch (err) {
      res.statusCode = 500;
      res.end(String(err));
    }
  });
  return {
    issuer,
    clientId,
    clientSecret,
    signInAs: (a) => {
      current = a;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A browser's redirect chain: follows Location headers, keeping cookies by name (all hosts are loopback). */
export async function followRedirects(
  start: string,
  jar = new Map<string, string>(),
  max = 15,
): Promise<{ url: string; status: number; jar: Map<string, string>; chain: string[] }> {
  let url = start;
  const chain: string[] = [];
  for (let i = 0; i < max; i++) {
    chain.push(url);
    const res = await fetch(url, {
      redirect: "manual",
      headers: jar.size ? { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join("; ") } : {},
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (attrs.some((a) => /max-age=0\b/i.test(a.trim())) || value === "") jar.delete(name);
      else jar.set(name, value);
    }
    await res.body?.cancel().catch(() => {});
    const location = res.headers.get("location");
    if (res.status < 300 || res.status >= 400 || !location) return { url, status: res.status, jar, chain };
    url = new URL(location, url).href;
  }
  throw new Error(`too many redirects: ${chain.join(" -> ")}`);
}
