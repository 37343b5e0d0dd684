/**
 * Checks of destinations as a user writes them, before anything is stored (400 naming the field):
 * egress/vault host patterns and repo_url. They catch what is visibly non-public (an address
 * literal in a private range, `localhost`); what a name resolves to is checked again at every
 * connection (./destinations.ts), since DNS can change after the check.
 */
import type { FieldError } from "../lib/errors";
import type { DestinationGuard } from "./destinations";
import { defaultPort } from "./pinned-fetch";

/** `*.example.com:8443` → the problem with its host (and port), or null. */
export function hostPatternProblem(pattern: string, destinations: DestinationGuard): string | null {
  const m = /^(.*?)(?::(\d{1,5}))?$/.exec(pattern.trim().toLowerCase())!;
  const host = m[1]!.replace(/^\*\./, "");
  return destinations.literalProblem(host, m[2] === undefined ? undefined : Number(m[2]));
}

/** repo_url: https (http only to a host the operator names), and not visibly non-public. */
export function repoUrlProblem(repoUrl: string, destinations: DestinationGuard): string | null {
  let url: URL;
  try {
    url = new URL(repoUrl);
  } catch {
    return "must be a URL such as https://github.com/org/repo";
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const httpAllowed = url.protocol === "http:" && destinations.entryFor(host, defaultPort(url)) !== undefined;
  if (url.protocol !== "https:" && !httpAllowed) {
    return "must be an https URL such as https://github.com/org/repo (http only to a host LAP_ALLOW_PRIVATE_HOSTS names; ssh, git and file URLs are not cloned)";
  }
  return destinations.literalProblem(host, defaultPort(url));
}

/** Field errors for a list of host patterns under `field` (`egress_allow_hosts.2`). */
export function hostPatternErrors(field: string, patterns: string[] | undefined, destinations: DestinationGuard): FieldError[] {
  return (patterns ?? []).flatMap((p, i) => {
    const problem = hostPatternProblem(p, destinations);
    return problem ? [{ field: `${field}.${i}`, message: problem }] : [];
  });
}
