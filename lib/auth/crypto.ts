/**
 * Small Web Crypto helpers (work in Node and in the proxy runtime): constant-time comparison of secrets
 * through their SHA-256 hashes, and HMAC-signed values.
 */
const enc = new TextEncoder();

async function sha256(s: string): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", enc.encode(s)));
}

/** Compare two secrets in constant time (hashing first makes lengths equal). */
export async function secretsMatch(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([sha256(given), sha256(expected)]);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

function b64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromB64url(s: string): Uint8Array<ArrayBuffer> | undefined {
  try {
    const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

async function hmacKey(secret: string): Promise<CryptoKey> {
  // Derive the signing key from the access token, so rotating AUTH_TOKEN logs everyone out.
  return crypto.subtle.importKey("raw", await sha256(`triage-session:${secret}`), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

export interface SessionClaims {
  /** Who signed in (the name they gave, for the audit log). */
  sub: string;
  /** Expiry, epoch seconds. */
  exp: number;
  /** Session id: sign-out records it as revoked until exp. */
  sid: string;
}

/** A signed session value: base64url(JSON claims) + "." + base64url(HMAC). */
export async function signSession(secret: string, claims: SessionClaims): Promise<string> {
  const body = b64url(enc.encode(JSON.stringify(claims)));
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), enc.encode(body)));
  return `${body}.${b64url(sig)}`;
}

/** The claims of a valid, unexpired session value; undefined for anything else. */
export async function verifySession(secret: string, value: string | undefined, nowSeconds: number): Promise<SessionClaims | undefined> {
  if (!value || value.length > 2048) return undefined;
  const [body, sig, extra] = value.split(".");
  if (!body || !sig || extra !== undefined) return undefined;
  const sigBytes = fromB64url(sig);
  if (!sigBytes) return undefined;
  const ok = await crypto.subtle.verify("HMAC", await hmacKey(secret), sigBytes, enc.encode(body));
  if (!ok) return undefined;
  const raw = fromB64url(body);
  if (!raw) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(raw));
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== "object") return undefined;
  const sub = "sub" in parsed && typeof parsed.sub === "string" ? parsed.sub : undefined;
  const exp = "exp" in parsed && typeof parsed.exp === "number" ? parsed.exp : undefined;
  const sid = "sid" in parsed && typeof parsed.sid === "string" && /^[\w-]{16,64}$/.test(parsed.sid) ? parsed.sid : undefined;
  if (!sub || !sid || exp === undefined || exp <= nowSeconds) return undefined;
  return { sub, exp, sid };
}
