import type { Config } from "@/lib/config";
import { isLoopbackHost } from "@/lib/config";
import { secretsMatch, verifySession } from "@/lib/auth/crypto";

export const SESSION_COOKIE = "triage_session";
/** Set by scripts/peer-address.mjs from the TCP socket; any inbound copy is overwritten there. */
export const PEER_HEADER = "x-triage-peer";
/** Set by proxy.ts for route handlers after authentication; inbound copies are removed. */
export const USER_HEADER = "x-triage-user";

export type AuthResult = { ok: true; user: string } | { ok: false; reason: string };

interface RequestLike {
  headers: Headers;
  cookie(name: string): string | undefined;
}

/** True when addr is in the list (exact addresses or IPv4 CIDR blocks; ::ffff: prefixes ignored). */
export function addressAllowed(addr: string | undefined, allowed: string[]): boolean {
  if (!addr) return false;
  const a = addr.replace(/^::ffff:/, "");
  for (const entry of allowed) {
    const e = entry.replace(/^::ffff:/, "");
    if (e === a) return true;
    const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(e);
    if (m && /^\d+\.\d+\.\d+\.\d+$/.test(a)) {
      const bits = Number(m[2]);
      const toInt = (ip: string) => ip.split(".").reduce((n, o) => (n << 8) + Number(o), 0) >>> 0;
      const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
      if (((toInt(a) & mask) >>> 0) === ((toInt(m[1] ?? "") & mask) >>> 0)) return true;
    }
  }
  return false;
}

/**
 * Who is making this request, by AUTH_MODE: `proxy` trusts the identity header only from
 * AUTH_TRUSTED_PROXIES; `token` needs a valid signed session cookie; `none` only answers loopback peers.
 */
export async function authenticate(req: RequestLike, auth: Config["auth"], nowSeconds = Math.floor(Date.now() / 1000)): Promise<AuthResult> {
  const peer = req.headers.get(PEER_HEADER) ?? undefined;
  switch (auth.mode) {
    case "none":
      // The server only listens on loopback in this mode; refuse anything that arrived from elsewhere.
      if (peer !== undefined && !isLoopbackHost(peer.replace(/^::ffff:/, ""))) return { ok: false, reason: "AUTH_MODE=none answers loopback clients only" };
      return { ok: true, user: "local" };
    case "proxy": {
      if (!addressAllowed(peer, auth.trustedProxies)) return { ok: false, reason: "request did not come through a trusted proxy (AUTH_TRUSTED_PROXIES)" };
      const id = req.headers.get(auth.proxyHeader)?.trim();
      if (!id || id.length > 256) return { ok: false, reason: `the proxy sent no ${auth.proxyHeader} header` };
      return { ok: true, user: id };
    }
    case "token": {
      if (!auth.token) return { ok: false, reason: "AUTH_TOKEN is not set" };
      const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.get("authorization") ?? "")?.[1];
      if (bearer && (await secretsMatch(bearer, auth.token))) return { ok: true, user: "api-token" };
      const claims = await verifySession(auth.token, req.cookie(SESSION_COOKIE), nowSeconds);
      if (!claims) return { ok: false, reason: "no valid session: sign in again" };
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
