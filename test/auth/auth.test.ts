import { describe, expect, it } from "vitest";
import { secretsMatch, signSession, verifySession } from "@/lib/auth/crypto";
import { addressAllowed, authenticate, safeNextPath, sameOrigin, SECURE_SESSION_COOKIE, SESSION_COOKIE } from "@/lib/auth/authenticate";
import { readConnection } from "@/lib/auth/peer";
import { createRateLimiter } from "@/lib/auth/rate-limit";
import { parseConfig, type Config } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { PEER_SECRET, stampPeer } from "@/test/helpers/console";

const SECRET = "0123456789abcdef0123456789abcdef";
const SID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

type Auth = Config["auth"];

/** A request as proxy.ts hands it to authenticate(): headers, cookies, the connection read from them. */
async function req(headers: Record<string, string>, auth: Auth, cookies: Record<string, string> = {}, revoked: (sid: string) => Promise<boolean> = async () => false) {
  const h = new Headers(headers);
  return { headers: h, cookie: (n: string) => cookies[n], connection: await readConnection(h, auth), isRevoked: revoked };
}

describe("session cookies", () => {
  it("verifies its own signature and rejects tampering, other secrets and expiry", async () => {
    const v = await signSession(SECRET, { sub: "alice", exp: 2000, sid: SID });
    expect(await verifySession(SECRET, v, 1000)).toEqual({ sub: "alice", exp: 2000, sid: SID });
    expect(await verifySession(SECRET, v, 2000)).toBeUndefined();
    expect(await verifySession("another-secret-of-32-characters!!", v, 1000)).toBeUndefined();
    const [body, sig] = v.split(".");
    const forged = Buffer.from(JSON.stringify({ sub: "mallory", exp: 9_999_999_999, sid: SID })).toString("base64url");
    expect(await verifySession(SECRET, `${forged}.${sig}`, 1000)).toBeUndefined();
    expect(await verifySession(SECRET, `${body}.${sig}x`, 1000)).toBeUndefined();
    expect(await verifySession(SECRET, "garbage", 1000)).toBeUndefined();
  });

  it("refuses a session without an id (nothing sign-out could revoke)", async () => {
    const claims: Record<string, unknown> = { sub: "alice", exp: 2000 };
    const body = Buffer.from(JSON.stringify(claims)).toString("base64url");
    const key = await crypto.subtle.importKey("raw", await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`triage-session:${SECRET}`)), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const sig = Buffer.from(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body))).toString("base64url");
    expect(await verifySession(SECRET, `${body}.${sig}`, 1000)).toBeUndefined();
  });

  it("compares secrets by value", async () => {
    expect(await secretsMatch("abc", "abc")).toBe(true);
    expect(await secretsMatch("abc", "abd")).toBe(false);
    expect(await secretsMatch("", "abc")).toBe(false);
  });
});

describe("authenticate", () => {
  const base = parseConfig({ TRIAGE_PEER_SECRET: PEER_SECRET });
  it("none: loopback peers only", async () => {
    expect(await authenticate(await req(await stampPeer("127.0.0.1"), base.auth), base.auth)).toEqual({ ok: true, user: "local" });
    expect(await authenticate(await req(await stampPeer("::ffff:127.0.0.1"), base.auth), base.auth)).toMatchObject({ ok: true });
    expect(await authenticate(await req(await stampPeer("::1"), base.auth), base.auth)).toMatchObject({ ok: true });
    expect(await authenticate(await req(await stampPeer("10.1.2.3"), base.auth), base.auth)).toMatchObject({ ok: false });
  });

  it("fails closed in every mode when the peer is not proven to come from the socket", async () => {
    const modes = [
      base,
      parseConfig({ TRIAGE_PEER_SECRET: PEER_SECRET, AUTH_MODE: "proxy", AUTH_TRUSTED_PROXIES: "10.0.0.5" }),
      parseConfig({ TRIAGE_PEER_SECRET: PEER_SECRET, AUTH_MODE: "token", AUTH_TOKEN: SECRET }),
    ];
    const session = await signSession(SECRET, { sub: "carol", exp: 9_999_999_999, sid: SID });
    for (const c of modes) {
      const identity = { "x-auth-request-email": "admin@example.com" };
      const cookies = { [SESSION_COOKIE]: session };
      const attempts: Record<string, string>[] = [
        // No preload: no stamp at all (AUTH_MODE=none used to take this for loopback).
        { ...identity },
        // A client claiming the internal header, without a proof or with a made-up one.
        { "x-triage-peer": "10.0.0.5", ...identity },
        { "x-triage-peer": "127.0.0.1", "x-triage-peer-proto": "http", "x-triage-peer-proof": "AAAA", ...identity },
        // A proof from another process (another secret), or a real proof replayed with another address.
        { ...(await stampPeer("10.0.0.5", "http", "some-other-process-secret-0123456789")), ...identity },
        { ...(await stampPeer("203.0.113.9")), "x-triage-peer": "10.0.0.5", ...identity },
        { ...(await stampPeer("203.0.113.9")), "x-triage-peer": "127.0.0.1", ...identity },
      ];
      for (const headers of attempts) {
        const r = await authenticate(await req(headers, c.auth, cookies), c.auth, 1000);
        expect({ mode: c.auth.mode, headers, ok: r.ok }).toEqual({ mode: c.auth.mode, headers, ok: false });
      }
      // Without a secret in this process (no preload) even a well-formed proof proves nothing.
      const noSecret = { ...c.auth, peerSecret: undefined };
      expect((await authenticate(await req({ ...(await stampPeer("127.0.0.1")), ...identity }, noSecret, cookies), noSecret, 1000)).ok).toBe(false);
    }
  });

  it("proxy: trusts the identity header only from trusted addresses", async () => {
    const c = parseConfig({ TRIAGE_PEER_SECRET: PEER_SECRET, AUTH_MODE: "proxy", AUTH_TRUSTED_PROXIES: "10.0.0.5,192.168.1.0/24" });
    const ok = await authenticate(await req({ ...(await stampPeer("10.0.0.5")), "x-auth-request-email": "alice@example.com" }, c.auth), c.auth);
    expect(ok).toEqual({ ok: true, user: "alice@example.com" });
    expect(await authenticate(await req({ ...(await stampPeer("192.168.1.77")), "x-auth-request-email": "bob@example.com" }, c.auth), c.auth)).toMatchObject({ ok: true });
    // A forged header from an untrusted address is ignored, whatever X-Forwarded-For says.
    const forged = await authenticate(
      await req({ ...(await stampPeer("10.9.9.9")), "x-forwarded-for": "10.0.0.5", "x-auth-request-email": "admin@example.com" }, c.auth),
      c.auth,
    );
    expect(forged.ok).toBe(false);
    expect(await authenticate(await req(await stampPeer("10.0.0.5"), c.auth), c.auth)).toMatchObject({ ok: false });
  });

  it("token: a signed, unexpired, unrevoked cookie or the bearer token", async () => {
    const c = parseConfig({ TRIAGE_PEER_SECRET: PEER_SECRET, AUTH_MODE: "token", AUTH_TOKEN: SECRET });
    const local = await stampPeer("127.0.0.1");
    const cookie = await signSession(SECRET, { sub: "carol", exp: 5000, sid: SID });
    expect(await authenticate(await req(local, c.auth, { [SESSION_COOKIE]: cookie }), c.auth, 4000)).toEqual({ ok: true, user: "carol" });
    expect(await authenticate(await req(local, c.auth, { [SESSION_COOKIE]: cookie }), c.auth, 6000)).toMatchObject({ ok: false });
    expect(await authenticate(await req(local, c.auth, { [SESSION_COOKIE]: cookie }, async (sid) => sid === SID), c.auth, 4000)).toMatchObject({ ok: false });
    const broken = async (): Promise<boolean> => {
      throw new Error("store closed");
    };
    expect(await authenticate(await req(local, c.auth, { [SESSION_COOKIE]: cookie }, broken), c.auth, 4000)).toMatchObject({ ok: false });
    expect(await authenticate(await req({ ...local, authorization: `Bearer ${SECRET}` }, c.auth), c.auth)).toEqual({ ok: true, user: "api-token" });
    expect(await authenticate(await req({ ...local, authorization: "Bearer nope" }, c.auth), c.auth)).toMatchObject({ ok: false });
    expect(await authenticate(await req(local, c.auth), c.auth)).toMatchObject({ ok: false });
  });

  it("token over TLS reads only the __Host- cookie", async () => {
    const c = parseConfig({ TRIAGE_PEER_SECRET: PEER_SECRET, AUTH_MODE: "token", AUTH_TOKEN: SECRET });
    const cookie = await signSession(SECRET, { sub: "carol", exp: 5000, sid: SID });
    const tls = await stampPeer("127.0.0.1", "https");
    expect(await authenticate(await req(tls, c.auth, { [SECURE_SESSION_COOKIE]: cookie }), c.auth, 4000)).toEqual({ ok: true, user: "carol" });
    expect(await authenticate(await req(tls, c.auth, { [SESSION_COOKIE]: cookie }), c.auth, 4000)).toMatchObject({ ok: false });
  });

  it("matches CIDR blocks and exact addresses", () => {
    expect(addressAllowed("10.0.0.5", ["10.0.0.0/8"])).toBe(true);
    expect(addressAllowed("11.0.0.5", ["10.0.0.0/8"])).toBe(false);
    expect(addressAllowed(undefined, ["10.0.0.0/8"])).toBe(false);
    expect(addressAllowed("::1", ["::1"])).toBe(true);
  });
});

describe("the client behind a trusted proxy", () => {
  const c = parseConfig({ TRIAGE_PEER_SECRET: PEER_SECRET, AUTH_MODE: "token", AUTH_TOKEN: SECRET, AUTH_TRUSTED_PROXIES: "10.0.0.5" });
  it("takes X-Forwarded-For's last hop and X-Forwarded-Proto only from a trusted proxy", async () => {
    const via = async (peer: string, headers: Record<string, string>, proto: "http" | "https" = "http") => readConnection(new Headers({ ...(await stampPeer(peer, proto)), ...headers }), c.auth);
    const fwd = { "x-forwarded-for": "198.51.100.1, 203.0.113.7", "x-forwarded-proto": "https" };
    expect(await via("10.0.0.5", fwd)).toEqual({ peer: "10.0.0.5", client: "203.0.113.7", https: true });
    expect(await via("203.0.113.9", fwd)).toEqual({ peer: "203.0.113.9", client: "203.0.113.9", https: false });
    expect(await via("10.0.0.5", {})).toEqual({ peer: "10.0.0.5", client: "10.0.0.5", https: false });
    expect(await via("10.0.0.5", { "x-forwarded-for": "not an address<>" })).toMatchObject({ client: "10.0.0.5" });
    expect(await via("127.0.0.1", {}, "https")).toEqual({ peer: "127.0.0.1", client: "127.0.0.1", https: true });
  });
});

describe("sign-in's next parameter", () => {
  it("keeps same-origin paths and sends everything else to /", () => {
    for (const ok of ["/", "/analyses", "/analyses?x=1&y=%2F", "/alerts/abc#top"]) expect(safeNextPath(ok)).toBe(ok);
    for (const bad of ["/\t/evil.example", "/\n/evil.example", "//evil.example", "/\\evil.example", "https://evil.example/", "javascript:alert(1)", "evil.example", "", "/" + "a".repeat(3000)]) {
      expect(safeNextPath(bad), JSON.stringify(bad)).toBe("/");
    }
    expect(safeNextPath(null)).toBe("/");
  });
});

describe("CSRF", () => {
  it("accepts same-origin requests only", () => {
    expect(sameOrigin(new Headers({ "sec-fetch-site": "same-origin" }))).toBe(true);
    expect(sameOrigin(new Headers({ "sec-fetch-site": "cross-site", origin: "http://127.0.0.1:3000", host: "127.0.0.1:3000" }))).toBe(false);
    expect(sameOrigin(new Headers({ origin: "http://127.0.0.1:3000", host: "127.0.0.1:3000" }))).toBe(true);
    expect(sameOrigin(new Headers({ origin: "https://evil.example", host: "127.0.0.1:3000" }))).toBe(false);
    expect(sameOrigin(new Headers({ host: "127.0.0.1:3000" }))).toBe(false);
  });
});

describe("rate limiter", () => {
  it("allows N per minute per key and says when to retry", () => {
    let t = 0;
    const l = createRateLimiter(2, () => t);
    l.check("a", "analyze");
    l.check("a", "analyze");
    l.check("b", "analyze");
    t = 15_000;
    let err: unknown;
    try {
      l.check("a", "analyze");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe("rate_limited");
    expect((err as AppError).retryAfterSeconds).toBe(45);
    t = 61_000;
    expect(() => l.check("a", "analyze")).not.toThrow();
  });
});
