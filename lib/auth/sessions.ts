/**
 * Where proxy.ts asks whether sign-out revoked a session. The gate runs in its own bundle and must not pull
 * in the store and every client behind it, so lib/server/services registers the store's check here, on
 * globalThis (one per process, shared by Next's bundles); until it does, every session counts as revoked.
 */
type RevokedCheck = (sid: string) => Promise<boolean>;

const g = globalThis as typeof globalThis & { __triageSessionRevoked?: RevokedCheck };

/** Called once the store is open. */
export function registerRevocationCheck(check: RevokedCheck): void {
  g.__triageSessionRevoked = check;
}

/** True when the session was signed out, or when nothing can say (fail closed). */
export async function isSessionRevoked(sid: string): Promise<boolean> {
  const check = g.__triageSessionRevoked;
  if (!check) return true;
  try {
    return await check(sid);
  } catch {
    return true;
  }
}
