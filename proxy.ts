import { NextResponse, type NextRequest } from "next/server";
import { loadConfig } from "@/lib/config";
import { authenticate, sameOrigin, USER_HEADER } from "@/lib/auth/authenticate";
import { CLIENT_HEADER, HTTPS_HEADER, PEER_HEADER, PEER_PROOF_HEADER, PEER_PROTO_HEADER, readConnection } from "@/lib/auth/peer";
import { isSessionRevoked } from "@/lib/auth/sessions";

/**
 * The one gate in front of every page and route handler: security headers with a per-request CSP nonce
 * (HSTS over TLS, no-store on API answers), authentication by AUTH_MODE, and CSRF checks on mutating
 * requests. Route handlers read the authenticated user (x-triage-user), the verified peer
 * (x-triage-peer), the client address (x-triage-client) and TLS (x-triage-https) from headers only this
 * proxy leaves or sets; the peer is believed only with the preload's proof (lib/auth/peer).
 */
const PUBLIC_PATHS = ["/api/health", "/api/ready", "/signin", "/api/auth/signin", "/api/auth/signout"];
/** Routes that check their own credentials (webhook secret, metrics bearer token). */
const SELF_AUTH_PATHS = ["/api/webhooks/", "/api/metrics"];

export async function proxy(req: NextRequest) {
  const config = loadConfig();
  const nonce = btoa(crypto.randomUUID());
  const csp = [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'`,
    `style-src 'self' 'nonce-${nonce}'`,
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");

  const conn = await readConnection(req.headers, config.auth);
  const requestHeaders = new Headers(req.headers);
  for (const h of [USER_HEADER, PEER_HEADER, PEER_PROTO_HEADER, PEER_PROOF_HEADER, CLIENT_HEADER, HTTPS_HEADER]) requestHeaders.delete(h);
  if (conn) {
    requestHeaders.set(PEER_HEADER, conn.peer);
    requestHeaders.set(CLIENT_HEADER, conn.client);
    requestHeaders.set(HTTPS_HEADER, conn.https ? "1" : "0");
  }
  requestHeaders.set("x-nonce", nonce);
  requestHeaders.set("content-security-policy", csp);

  const path = req.nextUrl.pathname;
  const finish = (res: NextResponse) => {
    res.headers.set("content-security-policy", csp);
    res.headers.set("x-frame-options", "DENY");
    res.headers.set("referrer-policy", "no-referrer");
    res.headers.set("x-content-type-options", "nosniff");
    res.headers.set("permissions-policy", "camera=(), microphone=(), geolocation=()");
    if (conn?.https) res.headers.set("strict-transport-security", "max-age=31536000");
    // API answers carry logs, evidence and alerts: no browser or shared cache may keep them.
    if (path.startsWith("/api/")) res.headers.set("cache-control", "no-store");
    return res;
  };
  const deny = (status: number, code: string, message: string, hint?: string) =>
    finish(NextResponse.json({ error: { code, message, ...(hint ? { hint } : {}) } }, { status }));

  const selfAuth = SELF_AUTH_PATHS.some((p) => path.startsWith(p));
  if (PUBLIC_PATHS.includes(path) || selfAuth) {
    return finish(NextResponse.next({ request: { headers: requestHeaders } }));
  }

  const auth = await authenticate(
    { headers: req.headers, cookie: (n) => req.cookies.get(n)?.value, connection: conn, isRevoked: isSessionRevoked },
    config.auth,
  );
  if (!auth.ok) {
    if (!path.startsWith("/api/") && config.auth.mode === "token") {
      // Proxy responses need an absolute Location (route handlers answer with relative ones).
      const url = new URL("/signin", req.url);
      url.searchParams.set("next", path + req.nextUrl.search);
      return finish(NextResponse.redirect(url, 303));
    }
    return deny(401, "unauthorized", "Sign-in required.", auth.reason);
  }

  const mutating = !["GET", "HEAD", "OPTIONS"].includes(req.method);
  const bearer = /^Bearer\s/i.test(req.headers.get("authorization") ?? "");
  if (mutating && !bearer && !sameOrigin(req.headers)) {
    return deny(403, "forbidden", "Cross-origin request refused.", "Mutating requests must come from the console's own pages (same origin).");
  }

  requestHeaders.set(USER_HEADER, encodeURIComponent(auth.user));
  return finish(NextResponse.next({ request: { headers: requestHeaders } }));
}

export const config = {
  matcher: [{ source: "/((?!_next/static|_next/image|favicon.ico|icon.svg).*)" }],
};
