import { describe, expect, it } from "vitest";
import { secretsMatch, signSession, verifySession } from "@/lib/auth/crypto";
import { addressAllowed, authenticate, sameOrigin, SESSION_COOKIE } from "@/lib/auth/authenticate";
import { createRateLimiter } from "@/lib/auth/rate-limit";
import { parseConfig } from "@/lib/config";
import { AppError } from "@/lib/errors";

const SECRET = "0123456789abcdef0123456789abcdef";

function req(headers: Record<string, string>, cookies: Record<string, string> = {}) {
  return { headers: new Headers(headers), cookie: (n: string) => cookies[n] };
}

describe("session cookies", () => {
  it("verifies its own signature and rejects tampering, other secrets and expiry", async () => {
    const v = await signSession(SECRET, { sub: "alice", exp: 2000 });
    expect(await verifySession(SECRET, v, 1000)).toEqual({ sub: "alice", exp: 2000 });
    expect(await verifySession(SECRET, v, 2000)).toBeUndefined();
    expect(await verifySession("another-secret-of-32-characters!!", v, 1000)).toBeUndefined();
    const [body, sig] = v.split(".");
    const forged = Buffer.from(JSON.stringify({ sub: "mallory", exp: 9_999_999_999 })).toString("base64url");
    expect(await verifySession(SECRET, `${forged}.${sig}`, 1000)).toBeUndefined();
    expect(await verifySession(SECRET, `${body}.${sig}x`, 1000)).toBeUndefined();
    expect(await verifySession(SECRET, "garbage", 1000)).toBeUndefined();
  });

  it("compares secrets by value", async () => {
    expect(await secretsMatch("abc", "abc")).toBe(true);
    expect(await secretsMatch("abc", "abd")).toBe(false);
    expect(await secretsMatch("", "abc")).toBe(false);
  });
});

describe("authenticate", () => {
  const base = parseConfig({});
  it("none: loopback peers only", async () => {
    expect(await authenticate(req({ "x-triage-peer": "127.0.0.1" }), base.auth)).toEqual({ ok: true, user: "local" });
    expect(await authenticate(req({ "x-triage-peer": "::ffff:127.0.0.1" }), base.auth)).toMatchObject({ ok: true });
    expect(await authenticate(req({ "x-triage-peer": "10.1.2.3" }), base.auth)).toMatchObject({ ok: false });
  });

  it("proxy: trusts the identity header only from trusted addresses", async () => {
    const c = parseConfig({ AUTH_MODE: "proxy", AUTH_TRUSTED_PROXIES: "10.0.0.5,192.168.1.0/24" });
    const ok = await authenticate(req({ "x-triage-peer": "10.0.0.5", "x-auth-request-email": "alice@example.com" }), c.auth);
    expect(ok).toEqual({ ok: true, user: "alice@example.com" });
    expect(await authenticate(req({ "x-triage-peer": "192.168.1.77", "x-auth-request-email": "bob@example.com" }), c.auth)).toMatchObject({ ok: true });
    // A forged header from an untrusted address is ignored, whatever X-Forwarded-For says.
    const forged = await authenticate(
      req({ "x-triage-peer": "10.9.9.9", "x-forwarded-for": "10.0.0.5", "x-auth-request-email": "admin@example.com" }),
      c.auth,
    );
    expect(forged.ok).toBe(false);
    expect(await authenticate(req({ "x-triage-peer": "10.0.0.5" }), c.auth)).toMatchObject({ ok: false });
  });

  it("token: a signed, unexpired cookie or the bearer token", async () => {
    const c = parseConfig({ AUTH_MODE: "token", AUTH_TOKEN: SECRET });
    const cookie = await signSession(SECRET, { sub: "carol", exp: 5000 });
    expect(await authenticate(req({}, { [SESSION_COOKIE]: cookie }), c.auth, 4000)).toEqual({ ok: true, user: "carol" });
    expect(await authenticate(req({}, { [SESSION_COOKIE]: cookie }), c.auth, 6000)).toMatchObject({ ok: false });
    expect(await authenticate(req({ authorization: `Bearer ${SECRET}` }), c.auth)).toEqual({ ok: true, user: "api-token" });
    expect(await authenticate(req({ authorization: "Bearer nope" }), c.auth)).toMatchObject({ ok: false });
    expect(await authenticate(req({}), c.auth)).toMatchObject({ ok: false });
  });

  it("matches CIDR blocks and exact addresses", () => {
    expect(addressAllowed("10.0.0.5", ["10.0.0.0/8"])).toBe(true);
    expect(addressAllowed("11.0.0.5", ["10.0.0.0/8"])).toBe(false);
    expect(addressAllowed(undefined, ["10.0.0.0/8"])).toBe(false);
    expect(addressAllowed("::1", ["::1"])).toBe(true);
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
