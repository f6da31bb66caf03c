import http from "node:http";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { expect, test } from "@playwright/test";
import { z } from "zod";
import { signSession } from "@/lib/auth/crypto";
import { e2eState } from "./fixtures";
import { startConsole, type RunningConsole } from "./harness";

/**
 * Issue 8 in Chromium and over HTTP: AUTH_MODE=token guards every page and route, sign-in issues an
 * HttpOnly SameSite=Strict cookie, cross-origin writes are refused, an expired cookie fails, and in
 * AUTH_MODE=proxy an identity header from an untrusted address is ignored.
 */

const TOKEN = "e2e-console-token-0123456789abcdef";
const METRICS_TOKEN = "e2e-metrics-token-0123456789";
const listSchema = z.object({ analyses: z.array(z.object({ target: z.object({ pod: z.string() }).optional() })) });
/** The same console addressed as localhost. */
const local = (url: string) => url.replace("//127.0.0.1:", "//localhost:");
const APP = resolve(import.meta.dirname, "..", "app");

/** Every page and route handler in app/, with dynamic segments filled in, found on disk so new routes are covered. */
function routes(): { pages: string[]; handlers: { path: string; method: string }[] } {
  const pages: string[] = [];
  const handlers: { path: string; method: string }[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === "page.tsx" || e.name === "route.ts") {
        const url = "/" + relative(APP, dir).split("/").filter(Boolean).map((s) => s.replace(/^\[.+\]$/, "e2e0000000000000")).join("/");
        if (e.name === "page.tsx") pages.push(url);
        else for (const m of readFileSync(p, "utf8").matchAll(/export const (GET|POST|PUT|PATCH|DELETE)\b/g)) handlers.push({ path: url, method: m[1] ?? "GET" });
      }
    }
  };
  walk(APP);
  return { pages, handlers };
}

test.describe.serial("AUTH_MODE=token", () => {
  let app: RunningConsole;

  test.beforeAll(async () => {
    app = await startConsole({ ALERTMANAGER_URL: `e2e=${e2eState().alertmanagerUrl}`, AUTH_MODE: "token", AUTH_TOKEN: TOKEN, METRICS_BEARER_TOKEN: METRICS_TOKEN, WEBHOOK_BEARER_TOKEN: "e2e-webhook-secret-0123456789" });
  });
  test.afterAll(async () => {
    await app?.stop();
  });

  test("without a session every page redirects to sign-in and every route answers 401", async () => {
    const { pages, handlers } = routes();
    expect(pages.length).toBeGreaterThan(4);
    expect(handlers.length).toBeGreaterThan(10);
    for (const path of pages.filter((p) => p !== "/signin")) {
      const res = await fetch(`${app.url}${path}?x=1`, { redirect: "manual" });
      expect(res.status, path).toBe(303);
      expect(new URL(res.headers.get("location") ?? "", app.url).href, path).toBe(`${app.url}/signin?next=${encodeURIComponent(`${path}?x=1`)}`);
    }
    const open = new Set(["/api/health", "/api/ready", "/api/auth/signin", "/api/auth/signout"]);
    for (const { path, method } of handlers.filter((h) => !open.has(h.path))) {
      const res = await fetch(`${app.url}${path}`, { method, headers: { "content-type": "application/json", origin: app.url }, body: method === "GET" ? undefined : "{}" });
      expect(res.status, `${method} ${path}`).toBe(401);
    }
    expect((await fetch(`${app.url}/api/health`)).status).toBe(200);
    expect((await fetch(`${app.url}/api/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(200);
  });

  test("signing in sends the browser back to the address it used", async ({ page }) => {
    // Next gives route handlers a req.url on http://localhost:<port>; an absolute redirect built from it
    // would be cross-origin from 127.0.0.1 and CSP form-action 'self' would block it. Relative it is.
    await page.goto(`${app.url}/`);
    await page.getByLabel("Access token").fill(TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByTestId("alert-row").first()).toBeVisible({ timeout: 10_000 });
  });

  test("a wrong token is refused; the right one reaches the alert list with an HttpOnly SameSite=Strict cookie", async ({ page, context }) => {
    // On localhost, where the sign-in route's absolute redirects point (see the test above).
    const base = local(app.url);
    await page.goto(`${base}/analyses`);
    await expect(page).toHaveURL(`${base}/signin?next=%2Fanalyses`);
    await page.getByLabel("Access token").fill("not-the-token-at-all");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByText("That token is not valid")).toBeVisible();
    expect(await context.cookies()).toEqual([]);
    await page.screenshot({ path: "e2e/screenshots/signin-error.png" });

    await page.getByLabel("Your name").fill("carol");
    await page.getByLabel("Access token").fill(TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(`${base}/analyses`);
    await expect(page.getByRole("heading", { name: "Analyses" })).toBeVisible();
    const [cookie, ...more] = await context.cookies();
    expect(more).toEqual([]);
    expect(cookie).toMatchObject({ name: "triage_session", httpOnly: true, sameSite: "Strict", path: "/" });
    expect(cookie?.expires ?? 0).toBeGreaterThan(Date.now() / 1000 + 3600);
    expect(await page.evaluate(() => document.cookie)).not.toContain("triage_session");
    await page.getByRole("link", { name: "Alerts" }).first().click();
    await expect(page.getByTestId("alert-row").first()).toBeVisible();
  });

  test("cross-origin writes are refused with 403, same-origin ones pass", async ({ page, context }) => {
    const base = local(app.url);
    await page.goto(`${base}/signin`);
    await page.getByLabel("Access token").fill(TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByTestId("alert-row").first()).toBeVisible();
    const body = { target: { namespace: "ml-serving", pod: "csrf-probe" } };

    const evil = await context.request.post(`${base}/api/analyses`, { headers: { origin: "http://evil.example" }, data: body });
    expect(evil.status()).toBe(403);
    const same = await context.request.post(`${base}/api/analyses`, { headers: { origin: base }, data: body });
    expect(same.status()).toBe(202);

    // A page on another port of the same host (same site, so the Strict cookie travels) fires a simple POST.
    const attacker = http.createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(`<!doctype html><title>evil</title><script>
        fetch(${JSON.stringify(`${base}/api/analyses`)}, { method: "POST", mode: "no-cors", credentials: "include", headers: { "content-type": "text/plain" }, body: ${JSON.stringify(JSON.stringify(body))} });
      </script>`);
    });
    await new Promise<void>((r) => attacker.listen(0, "127.0.0.1", r));
    try {
      const addr = attacker.address();
      const port = addr && typeof addr === "object" ? addr.port : 0;
      const refused = page.waitForResponse((r) => r.url() === `${base}/api/analyses` && r.request().method() === "POST");
      await page.goto(`http://localhost:${port}/`);
      const res = await refused;
      // 403, not 401: the cookie went along (authentication passed) and the origin check refused it.
      expect(res.status()).toBe(403);
    } finally {
      attacker.closeAllConnections();
      attacker.close();
    }
    const list = await context.request.get(`${base}/api/analyses?limit=50`);
    expect(list.status()).toBe(200);
    const { analyses } = listSchema.parse(await list.json());
    expect(analyses.filter((a) => a.target?.pod === "csrf-probe")).toHaveLength(1);
  });

  test("a session cookie past its expiry is refused", async ({ context, page }) => {
    const value = await signSession(TOKEN, { sub: "mallory", exp: Math.floor(Date.now() / 1000) - 60, sid: "e2e-expired-session-0001" });
    await context.addCookies([{ name: "triage_session", value, url: app.url, httpOnly: true, sameSite: "Strict" }]);
    expect((await context.request.get(`${app.url}/api/analyses`)).status()).toBe(401);
    await page.goto(`${app.url}/`);
    await expect(page).toHaveURL(/\/signin\?next=%2F$/);
    // The same claims, still valid, pass: what failed was the expiry.
    const fresh = await signSession(TOKEN, { sub: "mallory", exp: Math.floor(Date.now() / 1000) + 600, sid: "e2e-expired-session-0001" });
    await context.addCookies([{ name: "triage_session", value: fresh, url: app.url, httpOnly: true, sameSite: "Strict" }]);
    expect((await context.request.get(`${app.url}/api/analyses`)).status()).toBe(200);
  });
});

test("AUTH_MODE=proxy ignores an identity header from an address that is not a trusted proxy", async ({ browser }) => {
  const app = await startConsole({ ALERTMANAGER_URL: `e2e=${e2eState().alertmanagerUrl}`, AUTH_MODE: "proxy", AUTH_TRUSTED_PROXIES: "10.0.0.1" });
  try {
    // Everything a client could claim about itself, including the header our own peer hook sets.
    const forged = {
      "x-auth-request-email": "admin@example.com",
      "x-forwarded-email": "admin@example.com",
      "x-forwarded-for": "10.0.0.1",
      "x-real-ip": "10.0.0.1",
      "x-triage-peer": "10.0.0.1",
      "x-triage-user": "admin@example.com",
    };
    for (const path of ["/api/analyses", "/api/alerts", "/api/jobs"]) {
      const res = await fetch(`${app.url}${path}`, { headers: forged });
      expect(res.status, path).toBe(401);
    }
    const ctx = await browser.newContext({ extraHTTPHeaders: forged });
    try {
      const page = await ctx.newPage();
      const res = await page.goto(`${app.url}/`);
      expect(res?.status()).toBe(401);
      await expect(page.locator("body")).toContainText("Sign-in required");
    } finally {
      await ctx.close();
    }
  } finally {
    await app.stop();
  }
});
