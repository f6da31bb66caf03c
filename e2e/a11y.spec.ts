import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { startConsole, type RunningConsole } from "./harness";

/**
 * Issue 17, item 6 on the demo console: axe-core finds no serious or critical violations on the main pages in light
 * and dark mode; the issue dialog traps focus, closes on Esc and gives focus back to its opener; the evidence tabs
 * follow the WAI-ARIA tabs pattern; a skip link; each page has its own title.
 */

const OOM = "3f9a1c7e52d4b860";

async function expectNoSeriousViolations(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze();
  const bad = results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
  expect.soft(bad, `${what}: axe violations`).toEqual([]);
}

test.describe.serial("accessibility", () => {
  test.setTimeout(180_000);
  let app: RunningConsole;

  test.beforeAll(async () => {
    app = await startConsole({ DEMO: "1" });
  });
  test.afterAll(async () => {
    await app?.stop();
  });

  for (const scheme of ["light", "dark"] as const) {
    test(`axe: list, alert page with a report, history and silences (${scheme})`, async ({ page }) => {
      await page.emulateMedia({ colorScheme: scheme });
      await page.goto(`${app.url}/`);
      await expect(page).toHaveTitle("Alerts · Incident Triage Console");
      await expect(page.locator(`a[href*="${OOM}"]`).first()).toBeAttached();
      await expectNoSeriousViolations(page, `the list (${scheme})`);

      await page.goto(`${app.url}/alerts/${OOM}`);
      const panel = page.getByRole("region", { name: "Analysis" });
      // The page's latest analysis loads after the page: decide once it has (an earlier test may have run one).
      await expect(panel).not.toHaveAttribute("data-analysis-status", "loading");
      if ((await panel.getAttribute("data-analysis-status")) !== "done") {
        await page.getByRole("button", { name: "Analyze", exact: true }).click();
        await expect(panel).toHaveAttribute("data-analysis-status", "done", { timeout: 60_000 });
      }
      await expect(page).toHaveTitle(/^ModelPodOOMKilled · [^ ]+\/[^ ]+ · Incident Triage Console$/);
      await expectNoSeriousViolations(page, `an alert page with a report (${scheme})`);

      await page.getByRole("button", { name: "File GitHub issue" }).click();
      await expect(page.getByRole("dialog", { name: "File GitHub issue" }).getByTestId("issue-title")).toBeVisible();
      await expectNoSeriousViolations(page, `the issue dialog (${scheme})`);
      await page.keyboard.press("Escape");

      await page.goto(`${app.url}/analyses`);
      await expect(page).toHaveTitle("Analyses · Incident Triage Console");
      await expect(page.locator("tbody tr").first()).toBeVisible();
      await expectNoSeriousViolations(page, `the history (${scheme})`);

      await page.goto(`${app.url}/silences`);
      await expect(page.getByRole("heading", { name: "Silences", level: 1 })).toBeVisible();
      await expectNoSeriousViolations(page, `the silences (${scheme})`);
    });
  }

  test("keyboard: skip link, WAI-ARIA evidence tabs, and a dialog that traps focus, closes on Esc and returns focus", async ({ page }) => {
    await page.goto(`${app.url}/alerts/${OOM}`);
    const panel = page.getByRole("region", { name: "Analysis" });
    await expect(panel).not.toHaveAttribute("data-analysis-status", "loading");
    if ((await panel.getAttribute("data-analysis-status")) !== "done") {
      await page.getByRole("button", { name: "Analyze", exact: true }).click();
      await expect(panel).toHaveAttribute("data-analysis-status", "done", { timeout: 60_000 });
    }

    // The skip link is the first stop on a freshly loaded page and moves focus past the header.
    await page.reload();
    await expect(panel).toHaveAttribute("data-analysis-status", "done");
    await page.keyboard.press("Tab");
    const skip = page.getByRole("link", { name: "Skip to content" });
    await expect(skip).toBeFocused();
    await expect(skip).toBeInViewport();
    await page.keyboard.press("Enter");
    await expect(page.locator("#main-content")).toBeFocused();

    // Tabs: one Tab stop, arrows move and select, Home/End jump, the panel is labelled by the selected tab.
    const tablist = panel.getByRole("tablist", { name: "Evidence" });
    const tabs = tablist.getByRole("tab");
    await tabs.first().click();
    await expect(tabs.first()).toHaveAttribute("aria-selected", "true");
    expect(await tablist.locator('[role="tab"][tabindex="0"]').count()).toBe(1);
    await page.keyboard.press("ArrowRight");
    const second = tabs.nth(1);
    await expect(second).toBeFocused();
    await expect(second).toHaveAttribute("aria-selected", "true");
    await page.keyboard.press("End");
    await expect(tabs.last()).toBeFocused();
    await expect(tabs.last()).toHaveAttribute("aria-selected", "true");
    await page.keyboard.press("ArrowRight");
    await expect(tabs.first()).toHaveAttribute("aria-selected", "true");
    await page.keyboard.press("Home");
    await expect(tabs.first()).toBeFocused();
    const controls = await tabs.first().getAttribute("aria-controls");
    expect(controls).toBeTruthy();
    const tabpanel = page.locator(`#${controls}`);
    await expect(tabpanel).toHaveAttribute("role", "tabpanel");
    await expect(tabpanel).toHaveAttribute("aria-labelledby", (await tabs.first().getAttribute("id")) ?? "none");

    // Evidence buttons say what they open.
    const jump = panel.getByRole("region", { name: "Evidence" }).getByRole("button").first();
    await expect(jump).toHaveAccessibleName(/: (open the .+ tab|no evidence tab to open)/);

    // The dialog: focus inside, Tab cycles within it, Esc closes, focus goes back to the opener.
    const opener = page.getByRole("button", { name: "File GitHub issue" });
    await opener.focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: "File GitHub issue" });
    await expect(dialog.getByTestId("issue-title")).toBeVisible();
    for (let i = 0; i < 25; i++) {
      await page.keyboard.press("Tab");
      expect(await dialog.evaluate((d) => d.contains(document.activeElement)), `focus left the dialog after ${i + 1} Tabs`).toBe(true);
    }
    await page.keyboard.press("Shift+Tab");
    expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
    await page.keyboard.press("Escape");
    await expect(dialog).toBeHidden();
    await expect(opener).toBeFocused();
  });
});
