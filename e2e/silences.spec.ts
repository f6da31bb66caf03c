import { expect, test, type Page } from "@playwright/test";
import { z } from "zod";
import { NS, POD, eventually, getJson, oomAlert, startStack, type Stack } from "./stack";

/**
 * Issue 17 item 1 in Chromium against a real Alertmanager: acknowledge an alert from its row, see who
 * acknowledged it and until when in the list, then expire the acknowledgement from the silences page.
 */

const shot = (page: Page, name: string) => page.screenshot({ path: `e2e/screenshots/${name}.png`, fullPage: true });
const amSilences = z.array(z.object({ id: z.string(), createdBy: z.string(), comment: z.string(), status: z.object({ state: z.string() }) }));

test.describe.serial("silence and acknowledge from the console", () => {
  let stack: Stack;
  const row = (page: Page) => page.locator('[data-testid="alert-row"]', { hasText: `${NS}/${POD}` });

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    stack = await startStack({
      alerts: [oomAlert(), { labels: { alertname: "ModelHighCPUUsage", severity: "warning", cluster: "prod-eu", namespace: NS, pod: "tokenizer-0" } }],
    });
  });
  test.afterAll(async () => {
    await stack?.stop();
  });

  test("the silence dialog is prefilled, names a missing field, traps focus and gives it back on Esc", async ({ page }) => {
    await page.goto(`${stack.url}/`);
    const open = row(page).getByRole("button", { name: `Silence ModelPodOOMKilled ${NS}/${POD}` });
    await open.click();
    const dialog = page.getByRole("dialog", { name: `Silence ModelPodOOMKilled ${NS}/${POD}` });
    await expect(dialog).toBeVisible();
    await expect(dialog.getByLabel("Matcher 1 label")).toHaveValue("alertname");
    await expect(dialog.getByLabel("Matcher 1 value")).toHaveValue("ModelPodOOMKilled");
    await dialog.getByRole("button", { name: "Create silence" }).click();
    await expect(dialog.getByRole("alert")).toContainText("Comment is missing");
    await expect(dialog.getByLabel("Comment")).toBeFocused();
    // Tab never leaves the modal dialog: the page behind it is inert.
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press("Tab");
      expect(await page.evaluate(() => document.activeElement?.closest("dialog")?.getAttribute("data-testid"))).toBe("silence-dialog");
    }
    await page.keyboard.press("Escape");
    await expect(dialog).toBeHidden();
    await expect(open).toBeFocused();
  });

  test("Acknowledge shows 'acknowledged by … until …' in the list", async ({ page }) => {
    await page.goto(`${stack.url}/`);
    await row(page).getByRole("button", { name: `Acknowledge ModelPodOOMKilled ${NS}/${POD}` }).click();
    await expect(row(page).getByTestId("silence-note")).toHaveText(/^acknowledged by local until \d{1,2}:\d{2}/);
    const silences = await getJson(stack.am.url, "/api/v2/silences", amSilences);
    expect(silences).toHaveLength(1);
    expect(silences[0]?.createdBy).toBe("local");
    expect(silences[0]?.comment).toMatch(/^ACK! /);
    // The other alert is untouched.
    await expect(page.locator('[data-testid="alert-row"]', { hasText: "tokenizer-0" }).getByTestId("silence-note")).toHaveCount(0);
    await shot(page, "alerts-acknowledged");
  });

  test("expires it from the silences page, and the alert is no longer silenced", async ({ page }) => {
    await page.goto(`${stack.url}/silences`);
    const item = page.getByTestId("silence");
    await expect(item).toHaveCount(1);
    await expect(item).toContainText("acknowledged");
    await expect(item).toContainText("by local");
    await shot(page, "silences-page");
    await item.getByRole("button", { name: /^Expire silence/ }).click();
    await expect(item).toHaveCount(0);
    await eventually(async () => (await getJson(stack.am.url, "/api/v2/silences", amSilences)).every((s) => s.status.state === "expired"), "Alertmanager to expire it");
    await page.goto(`${stack.url}/`);
    await expect(row(page)).toBeVisible();
    await expect(row(page).getByTestId("silence-note")).toHaveCount(0);
    await expect(row(page).getByRole("button", { name: /^Acknowledge/ })).toBeVisible();
  });
});
