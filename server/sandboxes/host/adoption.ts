/**
 * What a restarted LAP needs to re-adopt a local sandbox that outlived the LAP that started it
 * (docs/sandboxes.md "Lifetime of host sandboxes"): a record next to the sandbox's owner file, in
 * the run root LAP owns (never in the run dir the sandbox can write), 0600. It holds the supervisor's
 * token (the supervisor deletes its copy at start), the launched process's identity (pid and start
 * time, so a reused pid is never mistaken for it), the spec (workspace, egress allow-list) and the
 * host user the sandbox runs as, to serve its sockets again.
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import type { SandboxSpec } from "../provider";
import type { SandboxLimitsDefaults } from "./options";
import { isAlive } from "./processes";
import type { HostUser } from "./sandbox-user";

export interface AdoptionRecord {
  version: 1;
  id: string;
  pid: number;
  /** `<pid>:<start time>` (processes.ts processIdentity). */
  identity: string;
  token: string;
  spec: SandboxSpec;
  limits: SandboxLimitsDefaults;
  user: HostUser | null;
  labels: Record<string, string>;
  createdAt: string;
}

export const adoptionRecordPath = (runDir: string) => `${runDir}.adopt.json`;

export function writeAdoptionRecord(runDir: string, record: AdoptionRecord) {
  const path = adoptionRecordPath(runDir);
  writeFileSync(`${path}.tmp`, JSON.stringify(record), { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

/** The record of a sandbox, or null when there is none or it does not read as one. */
export function readAdoptionRecord(runDir: string): AdoptionRecord | null {
  try {
    const r = JSON.parse(readFileSync(adoptionRecordPath(runDir), "utf8")) as AdoptionRecord;
    const ok =
      r.version === 1 &&
      typeof r.id === "string" &&
      Number.isInteger(r.pid) &&
      typeof r.identity === "string" &&
      typeof r.token === "string" &&
      typeof r.spec?.workspaceId === "string";
    return ok ? r : null;
  } catch {
    return null;
  }
}

/**
 * Watches a process LAP did not spawn (an adopted sandbox): `onGone` once it is no longer the
 * process the identity names. Returns the stop function.
 */
export function watchProcess(identity: string, onGone: () => void, intervalMs = 500): () => void {
  const timer = setInterval(() => {
    if (isAlive(identity)) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  return () => clearInterval(timer);
}
