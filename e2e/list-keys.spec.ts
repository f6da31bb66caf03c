import { expect, test } from "@playwright/test";
import { demoIncidents, findDemoIncident } from "@/lib/demo/incidents";
import { startConsole, type RunningConsole } from "./harness";

/**
 * Issue 17, item 2 in Chromium on the demo console: the list driven from the keyboard as Karma users
 * expect (`/` focuses the filter, `j` moves to a row, Enter opens it; keys are ignored while typing),
 * the `?` help, and a label chip that filters by its label (Alt-click excludes).
 */

const OOM = "3f9a1c7e52d4b860";

test.describe.serial("the alert list from the keyboard", () => {
  test.setTimeout(120_000);
  let app: RunningConsole;

  test.beforeAll(async () => {
    expect(findDemoIncident(OOM)?.labels.alertname).toBe("ModelPodOOMKilled");
    app = await startConsole({ DEMO: "1" });
  });
  test.afterAll(async () => {
    await app?.stop();
  });

  test("/ focuses the filter, typing j there types it, Enter filters, j focuses the row and Enter opens it", async ({ page }) => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(app.url);
    await expect(page.getByTestId("alert-row").first()).toBeVisible();
    await expect(page.getByTestId("last-updated")).toContainText("updated");

    await page.keyboard.press("/");
    const box = page.locator("#alert-filter");
    await expect(box).toBeFocused();
    // j and k inside the box are text, not shortcuts: the box keeps focus and shows them.
    await page.keyboard.type("jk");
    await expect(box).toHaveValue("jk");
    await expect(box).toBeFocused();
    await page.keyboard.press("Backspace");
    await page.keyboard.press("Backspace");
    await page.keyboard.type('alertname="ModelPodOOMKilled"');
    await expect(box).toHaveValue('alertname="ModelPodOOMKilled"');
    await page.keyboard.press("Enter");
    await expect(page).toHaveURL(/filter=alertname/);
    await expect(page.getByTestId("alert-row")).toHaveCount(1);

    await page.keyboard.press("Escape");
    await expect(box).not.toBeFocused();
    await page.keyboard.press("j");
    const row = page.getByTestId("alert-row").first();
    await expect(row).toBeFocused();
    await expect(row).toHaveAttribute("data-fingerprint", OOM);
    await page.keyboard.press("Enter");
    await expect(page).toHaveURL(new RegExp(`/alerts/${OOM}$`));
  });

  test("? lists the shortcuts; a chip filters by its label and Alt-click excludes it; both go to the URL", async ({ page }) => {
    await page.goto(app.url);
    await expect(page.getByTestId("alert-row").first()).toBeVisible();
    await page.keyboard.press("?");
    const help = page.getByRole("dialog", { name: "Keyboard shortcuts" });
    await expect(help).toContainText("Focus the filter");
    await page.keyboard.press("Escape");
    await expect(help).toBeHidden();

    const total = page.getByTestId("alert-total");
    await expect(total).toContainText(`${demoIncidents.length} alerts`);
    const oom = page.locator(`[data-testid="alert-row"][data-fingerprint="${OOM}"]`);
    await oom.getByRole("button", { name: 'Filter by cluster="demo" (Alt-click to exclude)' }).click();
    await expect(page).toHaveURL(/filter=cluster%3D%22demo%22/);
    await expect(total).toContainText(`${demoIncidents.length} alerts`);
    await oom.getByRole("button", { name: 'Filter by team="llm-platform" (Alt-click to exclude)' }).click({ modifiers: ["Alt"] });
    await expect(page).toHaveURL(/team%21%3D%22llm-platform%22/);
    const others = demoIncidents.filter((i) => i.labels.team !== "llm-platform").length;
    expect(others).toBeLessThan(demoIncidents.length);
    await expect(total).toContainText(`${others} alert${others === 1 ? "" : "s"}`);
    await expect(oom).toHaveCount(0);
  });
});
