import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { openStore } from "@/lib/store";
import { WEBHOOK_TOKEN, startStack, type Stack } from "./stack";

/**
 * Issue 17 items 3 and 8 in Chromium: an alert page shows its episodes from the webhook's history, the
 * list shows recently resolved alerts, unknown pages say so with a link back, and the analysis history
 * filters on Enter by prefix and pages past 200 rows. The database is seeded before the console starts.
 */
test.describe.serial("alert history and actionable messages", () => {
  test.setTimeout(120_000);
  let stack: Stack;
  let dir: string;
  const FP = "e2ehist000000001";
  const GONE = "e2ehist000000002";

  const notify = async (fingerprint: string, status: "firing" | "resolved", startsAt: string, endsAt = "0001-01-01T00:00:00Z") => {
    const alert = { status, labels: { alertname: "HistoryAlert", namespace: "shop", pod: `cart-${fingerprint.slice(-1)}`, severity: "info" }, annotations: {}, startsAt, endsAt, fingerprint };
    const body = { version: "4", status, receiver: "console", groupKey: "{}:{}", groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: "http://alertmanager:9093", truncatedAlerts: 0, alerts: [alert] };
    const res = await fetch(`${stack.url}/api/webhooks/alertmanager`, { method: "POST", headers: { authorization: `Bearer ${WEBHOOK_TOKEN}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    expect(res.status).toBeLessThan(300);
  };

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    dir = mkdtempSync(join(tmpdir(), "e2e-history-"));
    const url = `file:${join(dir, "triage.sqlite")}`;
    const store = await openStore(url);
    for (let i = 0; i < 205; i++) {
      await store.createAnalysis({ fingerprint: `paged-${i}`, trigger: "manual", status: "done", target: { namespace: "paging", pod: `p-${i}` }, alert: { labels: { alertname: "PagedAlert", namespace: "paging" }, annotations: {} } });
    }
    await store.close();
    stack = await startStack({ env: { DATABASE_URL: url, AUTO_ANALYZE: "false", AUTO_FILE_SEVERITIES: "none" } });
  });
  test.afterAll(async () => {
    await stack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("an alert page shows fired, resolved and fired-again episodes; the list shows recently resolved alerts", async ({ page }) => {
    const t0 = Date.now() - 3 * 3_600_000;
    await notify(FP, "firing", new Date(t0).toISOString());
    await notify(FP, "resolved", new Date(t0).toISOString(), new Date(t0 + 600_000).toISOString());
    await notify(FP, "firing", new Date(t0 + 3_600_000).toISOString());
    await notify(GONE, "firing", new Date(t0).toISOString());
    await notify(GONE, "resolved", new Date(t0).toISOString(), new Date(Date.now() - 60_000).toISOString());

    await page.goto(`${stack.url}/alerts/${FP}`);
    const episodes = page.getByTestId("alert-episode");
    await expect(episodes).toHaveCount(2);
    await expect(episodes.nth(0)).toContainText("Fired again");
    await expect(episodes.nth(0)).toContainText("not resolved");
    await expect(episodes.nth(1)).toContainText("resolved");

    await page.goto(stack.url);
    await page.getByRole("button", { name: /Recently resolved/ }).click();
    const resolved = page.getByTestId("resolved-alert");
    await expect(resolved).toHaveCount(1);
    await expect(resolved.getByRole("link", { name: "HistoryAlert" })).toHaveAttribute("href", `/alerts/${GONE}`);
  });

  test("an unknown alert or analysis says so, with a link back", async ({ page }) => {
    const a = await page.goto(`${stack.url}/alerts/ffffffffffffffff`);
    expect(a?.status()).toBe(404);
    await expect(page.getByRole("heading", { name: "No such alert" })).toBeVisible();
    await page.getByRole("link", { name: "Back to the alert list" }).click();
    await expect(page).toHaveURL(`${stack.url}/`);

    const b = await page.goto(`${stack.url}/analyses/00000000-0000-4000-8000-000000000000`);
    expect(b?.status()).toBe(404);
    await expect(page.getByRole("heading", { name: "No such analysis" })).toBeVisible();
    await expect(page.getByRole("link", { name: "Back to the analysis history" })).toHaveAttribute("href", "/analyses");
  });

  test("a filter typed before the page hydrates is applied on Enter, not wiped by hydration", async ({ page }) => {
    // Hold the page's scripts so the server-rendered boxes are typed into before React hydrates them.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await page.route("**/_next/static/chunks/**", async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(`${stack.url}/analyses?since=all`, { waitUntil: "commit" });
    const box = page.getByRole("textbox", { name: /Alert name/ });
    await box.fill("Paged");
    release();
    // The rows come from the client's query: once they show, the page has hydrated and its effects ran.
    await expect(page.locator("tbody tr").first()).toBeVisible();
    await expect(box).toHaveValue("Paged");
    await box.press("Enter");
    await expect(page).toHaveURL(/alertname=Paged/);
  });

  test("history filters apply on Enter, match a prefix and page past 200 rows", async ({ page }) => {
    await page.goto(`${stack.url}/analyses?since=all`);
    const box = page.getByRole("textbox", { name: /Alert name/ });
    await box.fill("Paged");
    await box.press("Enter");
    await expect(page).toHaveURL(/alertname=Paged/);
    const rows = page.locator("tbody tr");
    await expect(rows).toHaveCount(200);
    await expect(rows.first()).toContainText("PagedAlert");
    await page.getByTestId("history-older").click();
    await expect(rows).toHaveCount(5);
    await expect(page.getByTestId("history-older")).toHaveCount(0);
    await page.getByRole("button", { name: "Newest" }).click();
    await expect(rows).toHaveCount(200);
  });
});
