import { randomUUID } from "node:crypto";
import { readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { NextRequest } from "next/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { proxy } from "@/proxy";
import { SESSION_COOKIE } from "@/lib/auth/authenticate";
import { signSession } from "@/lib/auth/crypto";
import { stampPeer, startTestConsole, type TestConsole } from "@/test/helpers/console";

/**
 * The auth gate, tested against every page and route handler found on disk (so a new route cannot be
 * forgotten): proxy.ts first, then, where it lets a request through, the handler with the request
 * headers Next would forward.
 */

const APP = fileURLToPath(new URL("../../app", import.meta.url));
const AUTH_TOKEN = "token-mode-secret-0123456789abcdef";
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
const ORIGIN = "http://127.0.0.1:3000";

type RouteHandler = (req: NextRequest, segment: { params: Promise<Record<string, string>> }) => Promise<Response> | Response;
const routeModuleSchema = z.record(z.string(), z.unknown());

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** URL path and sample params for a file under app/ ([id] → a sample value, (group) dropped). */
function toPath(file: string): { path: string; params: Record<string, string> } {
  const params: Record<string, string> = {};
  const segs = relative(APP, file)
    .split(sep)
    .slice(0, -1)
    .filter((s) => !/^\(.*\)$/.test(s))
    .map((s) => {
      const m = /^\[(?:\.\.\.)?(\w+)\]$/.exec(s);
      if (!m?.[1]) return s;
      params[m[1]] = `sample-${m[1]}`;
      return params[m[1]];
    });
  return { path: `/${segs.join("/")}`, params };
}

const files = walk(APP);
const pages = files.filter((f) => f.endsWith(`${sep}page.tsx`)).map(toPath);
const routeFiles = files.filter((f) => f.endsWith(`${sep}route.ts`));

interface Route {
  path: string;
  params: Record<string, string>;
  method: string;
  handler: RouteHandler;
}

async function loadRoutes(): Promise<Route[]> {
  const out: Route[] = [];
  for (const file of routeFiles) {
    const mod = routeModuleSchema.parse(await import(file));
    const { path, params } = toPath(file);
    for (const method of METHODS) {
      const h = mod[method];
      if (typeof h === "function") out.push({ path, params, method, handler: (req, seg) => Reflect.apply(h, undefined, [req, seg]) });
    }
  }
  return out;
}

/** Paths that answer without a console session, and what they answer to a stranger. */
const OPEN: Record<string, number> = {
  "GET /api/health": 200,
  "GET /api/ready": 200,
  // Sign-in without the token sends the stranger back to the form (and sets no session); sign-out clears it.
  "POST /api/auth/signin": 303,
  "POST /api/auth/signout": 303,
};
const OPEN_PAGES = new Set(["/signin"]);

function request(method: string, path: string, headers: Record<string, string> = {}): NextRequest {
  return new NextRequest(`${ORIGIN}${path}`, { method, headers: { host: "127.0.0.1:3000", ...headers } });
}

/** What Next does after proxy.ts returns NextResponse.next(): forward the request with the proxy's headers. */
function forwarded(res: Response, original: NextRequest): NextRequest | undefined {
  if (res.headers.get("x-middleware-next") !== "1") return undefined;
  const names = (res.headers.get("x-middleware-override-headers") ?? "").split(",").filter(Boolean);
  const headers = new Headers();
  for (const n of names) headers.set(n, res.headers.get(`x-middleware-request-${n}`) ?? "");
  return new NextRequest(original.url, { method: original.method, headers });
}

function expectSecurityHeaders(res: Response) {
  const csp = res.headers.get("content-security-policy") ?? "";
  expect(csp).toMatch(/script-src [^;]*'nonce-[A-Za-z0-9+/=]{16,}'/);
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("object-src 'none'");
  expect(csp).not.toContain("'unsafe-eval'");
  expect(/script-src [^;]*'unsafe-inline'/.test(csp)).toBe(false);
  expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  expect(res.headers.get("x-frame-options")).toBe("DENY");
}

/**
 * proxy.ts on a request from this TCP peer, stamped as scripts/peer-address.mjs would (loopback unless
 * told; null: not stamped, as under a server started without the preload).
 */
async function gate(method: string, path: string, headers: Record<string, string> = {}, peer: string | null = "127.0.0.1") {
  const req = request(method, path, { ...(peer ? await stampPeer(peer) : {}), ...headers });
  const res = await proxy(req);
  expectSecurityHeaders(res);
  return { res, next: forwarded(res, req) };
}

let tc: TestConsole;
let routes: Route[] = [];

beforeAll(async () => {
  tc = await startTestConsole({ AUTH_MODE: "token", AUTH_TOKEN });
  // The store answers the gate's sign-out (revocation) check.
  await tc.services();
  routes = await loadRoutes();
});
afterAll(async () => {
  await tc?.stop();
});

describe("the route inventory", () => {
  it("finds the pages and route handlers on disk", () => {
    expect(pages.map((p) => p.path)).toEqual(expect.arrayContaining(["/", "/signin", "/triage", "/analyses"]));
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining(["POST /api/analyses", "GET /api/analyses/sample-id/events", "POST /api/webhooks/alertmanager", "GET /api/metrics"]),
    );
    // Every entry in the open list still exists, so the list cannot silently outlive a route.
    for (const key of Object.keys(OPEN)) expect(routes.map((r) => `${r.method} ${r.path}`)).toContain(key);
  });
});

describe("AUTH_MODE=token without credentials", () => {
  it("answers 401 on every API route (or its own check's 401), except the open ones", async () => {
    const seen: string[] = [];
    for (const r of routes) {
      const key = `${r.method} ${r.path}`;
      // A forged identity header must not help: proxy.ts strips it.
      const { res, next } = await gate(r.method, r.path, { "x-triage-user": "admin", origin: ORIGIN });
      let status = res.status;
      if (next) {
        expect(next.headers.get("x-triage-user")).toBeNull();
        const answer = await r.handler(next, { params: Promise.resolve(r.params) });
        status = answer.status;
        expect(answer.headers.get("set-cookie") ?? "").not.toMatch(new RegExp(`${SESSION_COOKIE}=[^;]`));
      }
      seen.push(`${key} → ${status}`);
      expect({ key, status }).toEqual({ key, status: OPEN[key] ?? 401 });
    }
    expect(seen.length).toBe(routes.length);
  });

  it("redirects every page to /signin with the page to come back to", async () => {
    for (const p of pages) {
      const { res, next } = await gate("GET", `${p.path}?x=1`);
      if (OPEN_PAGES.has(p.path)) {
        expect(next, p.path).toBeDefined();
        continue;
      }
      expect({ path: p.path, status: res.status }).toEqual({ path: p.path, status: 303 });
      const to = new URL(res.headers.get("location") ?? "", ORIGIN);
      expect(to.pathname).toBe("/signin");
      expect(to.searchParams.get("next")).toBe(`${p.path}?x=1`);
    }
  });

  it("gives each response its own nonce, and forwards it to the page", async () => {
    const a = await gate("GET", "/api/health");
    const b = await gate("GET", "/api/health");
    const nonce = (r: Response) => /'nonce-([^']+)'/.exec(r.headers.get("content-security-policy") ?? "")?.[1];
    expect(nonce(a.res)).toBeDefined();
    expect(nonce(a.res)).not.toBe(nonce(b.res));
    expect(a.next?.headers.get("x-nonce")).toBe(nonce(a.res));
  });
});

describe("sessions and CSRF (AUTH_MODE=token)", () => {
  const cookie = async (exp: number, sub = "alice") => `${SESSION_COOKIE}=${await signSession(AUTH_TOKEN, { sub, exp, sid: randomUUID() })}`;
  const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

  it("passes a valid session and names its user to the handler", async () => {
    const { next } = await gate("GET", "/api/analyses", { cookie: await cookie(inAnHour()) });
    expect(next?.headers.get("x-triage-user")).toBe("alice");
  });

  it("refuses a stolen cookie past its expiry, and a cookie signed with another secret", async () => {
    const expired = await gate("GET", "/api/analyses", { cookie: await cookie(Math.floor(Date.now() / 1000) - 60) });
    expect(expired.res.status).toBe(401);
    const page = await gate("GET", "/analyses", { cookie: await cookie(Math.floor(Date.now() / 1000) - 60) });
    expect(page.res.status).toBe(303);
    const forged = `${SESSION_COOKIE}=${await signSession("another-secret-of-32-characters!!", { sub: "mallory", exp: inAnHour(), sid: randomUUID() })}`;
    expect((await gate("GET", "/api/analyses", { cookie: forged })).res.status).toBe(401);
  });

  it("refuses a cross-origin POST even with a valid session", async () => {
    const c = await cookie(inAnHour());
    const body = { cookie: c, "content-type": "application/json" };
    const crossSite: Record<string, string>[] = [{ origin: "https://evil.example" }, { "sec-fetch-site": "cross-site", origin: ORIGIN }, { "sec-fetch-site": "same-site" }, {}];
    for (const headers of crossSite) {
      const { res, next } = await gate("POST", "/api/analyses", { ...body, ...headers });
      expect(next).toBeUndefined();
      expect(res.status).toBe(403);
      expect(z.object({ error: z.object({ code: z.literal("forbidden") }) }).parse(await res.json())).toBeTruthy();
    }
    const same = await gate("POST", "/api/analyses", { ...body, "sec-fetch-site": "same-origin" });
    expect(same.next?.headers.get("x-triage-user")).toBe("alice");
    const sameByOrigin = await gate("POST", "/api/analyses", { ...body, origin: ORIGIN });
    expect(sameByOrigin.next).toBeDefined();
  });

  it("lets an API client with the bearer token through without an Origin", async () => {
    const { next } = await gate("POST", "/api/analyses", { authorization: `Bearer ${AUTH_TOKEN}` });
    expect(next?.headers.get("x-triage-user")).toBe("api-token");
    expect((await gate("POST", "/api/analyses", { authorization: "Bearer wrong" })).res.status).toBe(401);
  });
});

describe("AUTH_MODE=proxy", () => {
  beforeAll(async () => {
    await tc.restart({ AUTH_MODE: "proxy", AUTH_TRUSTED_PROXIES: "10.0.0.5,192.168.7.0/24" });
  });

  it("ignores a forged identity header from an untrusted peer, even with X-Forwarded-For spoofed", async () => {
    const headers = { "x-auth-request-email": "admin@acme.example", "x-forwarded-for": "10.0.0.5", "x-real-ip": "10.0.0.5" };
    const api = await gate("GET", "/api/analyses", headers, "203.0.113.9");
    expect(api.res.status).toBe(401);
    expect(api.next).toBeUndefined();
    const page = await gate("GET", "/analyses", headers, "203.0.113.9");
    expect(page.res.status).toBe(401);
    // No peer at all (no socket address recorded) is not trusted either.
    expect((await gate("GET", "/api/analyses", { "x-auth-request-email": "admin@acme.example" }, null)).res.status).toBe(401);
  });

  it("refuses a client that claims the peer header itself (a server started without the preload)", async () => {
    // What `node .next/standalone/server.js` received before: the trusted proxy's address, typed by the client.
    const claimed = { "x-triage-peer": "10.0.0.5", "x-auth-request-email": "admin@acme.example" };
    const bare = await gate("GET", "/api/analyses", claimed, null);
    expect(bare.res.status).toBe(401);
    expect(bare.next).toBeUndefined();
    // With a proof made up, or signed by another process's secret.
    expect((await gate("GET", "/api/analyses", { ...claimed, "x-triage-peer-proto": "http", "x-triage-peer-proof": "x".repeat(43) }, null)).res.status).toBe(401);
    const foreign = await stampPeer("10.0.0.5", "http", "another-process-secret-0123456789");
    expect((await gate("GET", "/api/analyses", { ...foreign, "x-auth-request-email": "admin@acme.example" }, null)).res.status).toBe(401);
    // The real peer's proof does not cover another address.
    expect((await gate("GET", "/api/analyses", claimed, "203.0.113.9")).res.status).toBe(401);
  });

  it("trusts the header from a trusted proxy and the route sees that user", async () => {
    for (const peer of ["10.0.0.5", "::ffff:10.0.0.5", "192.168.7.42"]) {
      const { next } = await gate("GET", "/api/analyses", { "x-auth-request-email": "dana@acme.example" }, peer);
      expect(next?.headers.get("x-triage-user")).toBe(encodeURIComponent("dana@acme.example"));
    }
    const route = routes.find((r) => r.method === "GET" && r.path === "/api/analyses");
    const { next } = await gate("GET", "/api/analyses", { "x-auth-request-email": "dana@acme.example" }, "10.0.0.5");
    if (!route || !next) throw new Error("GET /api/analyses should exist and pass");
    expect((await route.handler(next, { params: Promise.resolve({}) })).status).toBe(200);
    // A trusted proxy that sent no identity is still a 401.
    expect((await gate("GET", "/api/analyses", {}, "10.0.0.5")).res.status).toBe(401);
  });
});

describe("AUTH_MODE=none", () => {
  it("answers loopback peers only, and nobody whose peer the preload did not vouch for", async () => {
    await tc.restart({ AUTH_MODE: "none" });
    expect((await gate("GET", "/api/analyses")).next?.headers.get("x-triage-user")).toBe("local");
    expect((await gate("GET", "/api/analyses", {}, "10.1.2.3")).res.status).toBe(401);
    // A missing stamp used to count as loopback.
    expect((await gate("GET", "/api/analyses", {}, null)).res.status).toBe(401);
    expect((await gate("GET", "/api/analyses", { "x-triage-peer": "127.0.0.1" }, null)).res.status).toBe(401);
    expect((await gate("GET", "/analyses", {}, null)).res.status).toBe(401);
  });
});

describe("open and self-authenticated endpoints", () => {
  it("keeps /api/health open in every mode", async () => {
    const route = routes.find((r) => r.path === "/api/health");
    if (!route) throw new Error("no /api/health route");
    for (const mode of [{ AUTH_MODE: "token", AUTH_TOKEN }, { AUTH_MODE: "proxy", AUTH_TRUSTED_PROXIES: "10.0.0.5" }]) {
      await tc.restart(mode);
      const { next } = await gate("GET", "/api/health", {}, "203.0.113.9");
      if (!next) throw new Error("health was not passed through");
      const res = await route.handler(next, { params: Promise.resolve({}) });
      expect(res.status).toBe(200);
    }
  });

  it("requires METRICS_BEARER_TOKEN on /api/metrics when it is set", async () => {
    const token = "metrics-scrape-token-0123456789";
    await tc.restart({ AUTH_MODE: "token", AUTH_TOKEN, METRICS_BEARER_TOKEN: token });
    const route = routes.find((r) => r.path === "/api/metrics");
    if (!route) throw new Error("no /api/metrics route");
    const scrape = async (headers: Record<string, string>) => {
      const { res, next } = await gate("GET", "/api/metrics", headers);
      return next ? route.handler(next, { params: Promise.resolve({}) }) : res;
    };
    expect((await scrape({})).status).toBe(401);
    expect((await scrape({ authorization: "Bearer nope" })).status).toBe(401);
    // A console session is not enough once a scrape token is configured.
    const session = `${SESSION_COOKIE}=${await signSession(AUTH_TOKEN, { sub: "alice", exp: Math.floor(Date.now() / 1000) + 3600, sid: randomUUID() })}`;
    expect((await scrape({ cookie: session })).status).toBe(401);
    const ok = await scrape({ authorization: `Bearer ${token}` });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await ok.text()).toMatch(/^# HELP /m);
  });
});

describe("defence in depth: the route wrapper", () => {
  it("refuses every non-open handler called without the user header proxy.ts sets", async () => {
    await tc.restart({ AUTH_MODE: "token", AUTH_TOKEN, METRICS_BEARER_TOKEN: "" });
    for (const r of routes) {
      const key = `${r.method} ${r.path}`;
      if (key in OPEN) continue;
      const res = await r.handler(request(r.method, r.path, { origin: ORIGIN }), { params: Promise.resolve(r.params) });
      expect({ key, status: res.status }).toEqual({ key, status: 401 });
      expect(z.object({ error: z.object({ code: z.literal("unauthorized") }) }).safeParse(await res.json()).success).toBe(true);
    }
  });
});
