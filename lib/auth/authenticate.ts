import type { Config } from "@/lib/config";
import { isLoopbackHost } from "@/lib/config";
import { secretsMatch, verifySession } from "@/lib/auth/crypto";
import { addressAllowed, type Connection } from "@/lib/auth/peer";

export { addressAllowed, PEER_HEADER } from "@/lib/auth/peer";

/** The session cookie over plain HTTP (loopback, or a proxy that does not say it terminated TLS). */
export const SESSION_COOKIE = "triage_session";
/** Over TLS: `__Host-` binds it to this host, Secure and Path=/, so a sibling subdomain cannot plant one. */
export const SECURE_SESSION_COOKIE = "__Host-triage_session";
/** Set by proxy.ts for route handlers after authentication; inbound copies are removed. */
export const USER_HEADER = "x-triage-user";

/** The session cookie's name for a connection. */
export function sessionCookieName(https: boolean): string {
  return https ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
}

export type AuthResult = { ok: true; user: string } | { ok: false; reason: string };

interface RequestLike {
  headers: Headers;
  cookie(name: string): string | undefined;
  /** The verified connection (lib/auth/peer readConnection); undefined when it could not be verified. */
  connection: Connection | undefined;
  /** Whether sign-out revoked this session id; throwing counts as revoked. */
  isRevoked(sid: string): Promise<boolean>;
}

const NO_PEER =
  "the server cannot vouch for the client's address: start it with `npm start` (or, as the image does, node --import ./scripts/peer-address.mjs server.js)";

/**
 * Who is making this request, by AUTH_MODE. Every mode first needs the TCP peer as the preload signed it;
 * then `proxy` trusts the identity header only from AUTH_TRUSTED_PROXIES, `token` needs a valid, unrevoked
 * signed session cookie (or the bearer token), and `none` only answers loopback peers.
 */
export async function authenticate(req: RequestLike, auth: Config["auth"], nowSeconds = Math.floor(Date.now() / 1000)): Promise<AuthResult> {
  const conn = req.connection;
  if (!conn) return { ok: false, reason: NO_PEER };
  switch (auth.mode) {
    case "none":
      if (!isLoopbackHost(conn.peer.replace(/^::ffff:/, ""))) return { ok: false, reason: "AUTH_MODE=none answers loopback clients only" };
      return { ok: true, user: "local" };
    case "proxy": {
      if (!addressAllowed(conn.peer, auth.trustedProxies)) return { ok: false, reason: "request did not come through a trusted proxy (AUTH_TRUSTED_PROXIES)" };
      const id = req.headers.get(auth.proxyHeader)?.trim();
      if (!id || id.length > 256) return { ok: false, reason: `the proxy sent no ${auth.proxyHeader} header` };
      return { ok: true, user: id };
    }
    case "token": {
      if (!auth.token) return { ok: false, reason: "AUTH_TOKEN is not set" };
      const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.get("authorization") ?? "")?.[1];
      if (bearer && (await secretsMatch(bearer, auth.token))) return { ok: true, user: "api-token" };
      const claims = await verifySession(auth.token, req.cookie(sessionCookieName(conn.https)), nowSeconds);
      if (!claims) return { ok: false, reason: "no valid session: sign in again" };
      const revoked = await req.isRevoked(claims.sid).catch(() => true);
      if (revoked) return { ok: false, reason: "this session was signed out: sign in again" };
      return { ok: true, user: claims.sub };
    }
  }
}

/**
 * CSRF: a mutating request must come from this console's own pages: Sec-Fetch-Site same-origin, or an
 * Origin whose host is the host the request was sent to.
 */
export function sameOrigin(headers: Headers): boolean {
  const site = headers.get("sec-fetch-site");
  if (site) return site === "same-origin";
  const origin = headers.get("origin");
  const host = headers.get("x-forwarded-host") ?? headers.get("host");
  if (!origin || !host) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/**
 * Where to send the browser after sign-in: a path on this console, never another origin. Parsed as a
 * browser would (which drops tabs and newlines and reads backslashes as slashes) against a dummy origin.
 */
export function safeNextPath(v: string | null | undefined): string {
  if (!v || v.length > 2048 || !v.startsWith("/") || /[\\\u0000-\u001f\u007f]/.test(v)) return "/";
  const base = "http://console.invalid";
  let url: URL;
  try {
    url = new URL(v, base);
  } catch {
    return "/";
  }
  return url.origin === base ? `${url.pathname}${url.search}${url.hash}` : "/";
}
