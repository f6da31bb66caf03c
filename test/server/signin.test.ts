import { NextRequest } from "next/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { proxy } from "@/proxy";
import { POST as signIn } from "@/app/api/auth/signin/route";
import { POST as signOut } from "@/app/api/auth/signout/route";
import { GET as listAnalyses } from "@/app/api/analyses/route";
import { stampPeer, startTestConsole, type TestConsole } from "@/test/helpers/console";

/**
 * Sign-in, sign-out and the headers around them (issue 12 item 9), each request through proxy.ts first
 * and then, where it passes, the route handler with the headers proxy.ts forwards, as Next runs them.
 */

const AUTH_TOKEN = "signin-test-token-0123456789abcdef";
const ORIGIN = "http://127.0.0.1:3000";
const PROXY = "10.0.0.5";

type Handler = (req: NextRequest, segment: { params: Promise<Record<string, string>> }) => Promise<Response>;

interface Sent {
  /** proxy.ts's answer (its headers are the ones Next adds to the final response). */
  gate: Response;
  /** The handler's answer, or the gate's when it stopped the request. */
  res: Response;
}

/** One request from `peer` (stamped as the preload would; null: unstamped) through proxy.ts to the handler. */
async function send(handler: Handler, method: string, path: string, o: { peer?: string | null; headers?: Record<string, string>; body?: string } = {}): Promise<Sent> {
  const peer = o.peer === undefined ? "127.0.0.1" : o.peer;
  const headers: Record<string, string> = { host: "127.0.0.1:3000", origin: ORIGIN, ...(peer ? await stampPeer(peer) : {}), ...o.headers };
  if (o.body !== undefined) headers["content-type"] = "application/x-www-form-urlencoded";
  const req = new NextRequest(`${ORIGIN}${path}`, { method, headers, body: o.body });
  const gate = await proxy(req);
  if (gate.headers.get("x-middleware-next") !== "1") return { gate, res: gate };
  const forwarded = new Headers();
  for (const n of (gate.headers.get("x-middleware-override-headers") ?? "").split(",").filter(Boolean)) forwarded.set(n, gate.headers.get(`x-middleware-request-${n}`) ?? "");
  const res = await handler(new NextRequest(req.url, { method, headers: forwarded, body: o.body }), { params: Promise.resolve({}) });
  return { gate, res };
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

/** The Set-Cookie header of a sign-in, and the name=value pair to send back. */
function sessionOf(res: Response): { header: string; pair: string } {
  const header = res.headers.get("set-cookie") ?? "";
  return { header, pair: header.split(";")[0] ?? "" };
}

let tc: TestConsole;
beforeAll(async () => {
  tc = await startTestConsole({ AUTH_MODE: "token", AUTH_TOKEN, AUTH_TRUSTED_PROXIES: PROXY });
  await tc.services();
});
afterAll(async () => {
  await tc?.stop();
});

describe("sign-in", () => {
  it("sends the browser only to a path on this console", async () => {
    const cases: [string, string][] = [
      // A browser drops the tab and reads //evil.example: another origin.
      ["/\t/evil.example", "/"],
      ["/\\evil.example", "/"],
      ["//evil.example/x", "/"],
      ["https://evil.example/", "/"],
      ["/analyses?x=1", "/analyses?x=1"],
    ];
    for (const [next, location] of cases) {
      const { res } = await send(signIn, "POST", "/api/auth/signin", { peer: "127.0.0.2", body: form({ token: AUTH_TOKEN, next }) });
      expect({ next, status: res.status, location: res.headers.get("location") }).toEqual({ next, status: 303, location });
    }
    const wrong = await send(signIn, "POST", "/api/auth/signin", { peer: "127.0.0.2", body: form({ token: "wrong", next: "/\t/evil.example" }) });
    expect(wrong.res.headers.get("location")).toBe("/signin?error=1&next=%2F");
  });

  it("rate-limits each client as the trusted proxy reports it, so one client cannot lock out the rest", async () => {
    const viaProxy = (client: string) =>
      send(signIn, "POST", "/api/auth/signin", { peer: PROXY, headers: { "x-forwarded-for": `198.51.100.200, ${client}` }, body: form({ token: "wrong" }) });
    for (let i = 0; i < 10; i++) expect((await viaProxy("203.0.113.1")).res.status).toBe(303);
    expect((await viaProxy("203.0.113.1")).res.status).toBe(429);
    // Another user behind the same proxy still gets to try.
    expect((await viaProxy("203.0.113.2")).res.status).toBe(303);

    // A client that is not a trusted proxy cannot pick a fresh key with X-Forwarded-For.
    const direct = (i: number) =>
      send(signIn, "POST", "/api/auth/signin", { peer: "198.51.100.7", headers: { "x-forwarded-for": `192.0.2.${i}` }, body: form({ token: "wrong" }) });
    for (let i = 0; i < 10; i++) expect((await direct(i)).res.status).toBe(303);
    expect((await direct(99)).res.status).toBe(429);
  });

  it("is refused when the server cannot vouch for the client's address", async () => {
    const { res } = await send(signIn, "POST", "/api/auth/signin", { peer: null, headers: { "x-triage-peer": "127.0.0.1", "x-triage-client": "127.0.0.1" }, body: form({ token: AUTH_TOKEN }) });
    expect(res.status).toBe(401);
    expect(res.headers.get("set-cookie")).toBeNull();
  });
});

describe("TLS", () => {
  it("behind a trusted proxy that says https: a Secure __Host- session cookie and HSTS", async () => {
    const tls = { "x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.50" };
    const { gate, res } = await send(signIn, "POST", "/api/auth/signin", { peer: PROXY, headers: tls, body: form({ token: AUTH_TOKEN }) });
    expect(res.status).toBe(303);
    const { header, pair } = sessionOf(res);
    expect(header).toMatch(/^__Host-triage_session=[^;]+;/);
    expect(header).toMatch(/;\s*Secure/i);
    expect(header).toMatch(/;\s*Path=\//i);
    expect(header).toMatch(/;\s*HttpOnly/i);
    expect(header).not.toMatch(/Domain=/i);
    expect(gate.headers.get("strict-transport-security")).toMatch(/^max-age=\d{7,}/);
    // The cookie works over the same TLS connection.
    const list = await send(listAnalyses, "GET", "/api/analyses", { peer: PROXY, headers: { ...tls, cookie: pair } });
    expect(list.res.status).toBe(200);
  });

  it("does not take X-Forwarded-Proto from a client that is not a trusted proxy", async () => {
    const { gate, res } = await send(signIn, "POST", "/api/auth/signin", { peer: "127.0.0.3", headers: { "x-forwarded-proto": "https" }, body: form({ token: AUTH_TOKEN }) });
    const { header } = sessionOf(res);
    expect(header).toMatch(/^triage_session=/);
    expect(header).not.toMatch(/;\s*Secure/i);
    expect(gate.headers.get("strict-transport-security")).toBeNull();
  });
});

describe("sign-out", () => {
  it("revokes the session on the server: the same cookie no longer passes", async () => {
    const signedIn = await send(signIn, "POST", "/api/auth/signin", { peer: "127.0.0.4", body: form({ token: AUTH_TOKEN, name: "erin" }) });
    const { pair } = sessionOf(signedIn.res);
    expect(pair).toMatch(/^triage_session=./);
    expect((await send(listAnalyses, "GET", "/api/analyses", { headers: { cookie: pair } })).res.status).toBe(200);

    const out = await send(signOut, "POST", "/api/auth/signout", { headers: { cookie: pair } });
    expect(out.res.status).toBe(303);
    expect(out.res.headers.get("set-cookie")).toMatch(/triage_session=;/);
    // A copy of the cookie kept elsewhere (another tab, a stolen value) is refused from now on.
    const after = await send(listAnalyses, "GET", "/api/analyses", { headers: { cookie: pair } });
    expect(after.res.status).toBe(401);
    // A new sign-in works.
    const again = sessionOf((await send(signIn, "POST", "/api/auth/signin", { peer: "127.0.0.4", body: form({ token: AUTH_TOKEN }) })).res);
    expect((await send(listAnalyses, "GET", "/api/analyses", { headers: { cookie: again.pair } })).res.status).toBe(200);
  });
});

describe("caching", () => {
  it("marks every API answer no-store, served or refused", async () => {
    const { pair } = sessionOf((await send(signIn, "POST", "/api/auth/signin", { peer: "127.0.0.5", body: form({ token: AUTH_TOKEN }) })).res);
    const served = await send(listAnalyses, "GET", "/api/analyses", { headers: { cookie: pair } });
    expect(served.res.status).toBe(200);
    expect(served.gate.headers.get("cache-control")).toBe("no-store");
    const refused = await send(listAnalyses, "GET", "/api/analyses");
    expect(refused.res.status).toBe(401);
    expect(refused.res.headers.get("cache-control")).toBe("no-store");
    for (const path of ["/api/health", "/api/jobs", "/api/alerts"]) {
      expect((await proxy(new NextRequest(`${ORIGIN}${path}`, { headers: await stampPeer("127.0.0.1") }))).headers.get("cache-control"), path).toBe("no-store");
    }
  });
});
