/**
 * Causal timing for tests: instead of asserting that something was fast (a loaded CI machine can miss
 * any wall-clock bound), hold the slow dependency on a gate the test opens only after the fast result
 * arrived. Code that waited for the dependency would wait forever, so every gate has a generous guard
 * timer that opens it and records that it had to: the test then fails instead of hanging.
 */
export interface Gate {
  /** Settles when the gate opens (by the test or by the guard). */
  readonly opened: Promise<void>;
  /** Opens the gate and stops the guard. */
  open(): void;
  /** True when the guard had to open the gate: the code under test waited on it. */
  readonly forcedOpen: boolean;
}

export const GUARD_MS = 15_000;

export function gate(guardMs = GUARD_MS): Gate {
  let release!: () => void;
  const opened = new Promise<void>((resolve) => {
    release = resolve;
  });
  let forcedOpen = false;
  const guard = setTimeout(() => {
    forcedOpen = true;
    release();
  }, guardMs);
  return {
    opened,
    open() {
      clearTimeout(guard);
      release();
    },
    get forcedOpen() {
      return forcedOpen;
    },
  };
}

/**
 * Resolves like `promise`, or rejects once `guardMs` passed without it settling: for "this did not wait
 * for the slow path", where the slow path takes many times longer than the guard.
 */
export async function settlesWithin<T>(promise: Promise<T>, what: string, guardMs = GUARD_MS): Promise<T> {
  let guard: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    guard = setTimeout(() => reject(new Error(`${what}: still waiting after ${guardMs} ms`)), guardMs);
  });
  try {
    return await Promise.race([promise, timedOut]);
  } finally {
    clearTimeout(guard);
  }
}
