import { expect, test, type Page } from "@playwright/test";
import { startConsole, type RunningConsole } from "./harness";

/**
 * Issue 17, item 5 on the demo console at 390×844: no page scrolls sideways. Logs, events and commands scroll inside
 * their own panels or wrap; the issue dialog fits and its Close button is on screen.
 */

const OOM = "3f9a1c7e52d4b860";
const WIDTH = 390;

async function expectNoSidewaysScroll(page: Page, what: string) {
  const { width, offenders } = await page.evaluate((w) => {
    // The innermost elements that reach past the viewport, to name in the failure.
    const wide = [...document.querySelectorAll("body *")].filter((el) => el.getBoundingClientRect().right > w + 0.5);
    const innermost = wide.filter((el) => !wide.some((o) => o !== el && el.contains(o)));
    const describe = (el: Element) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}.${[...el.classList].slice(0, 6).join(".")} (right ${Math.round(el.getBoundingClientRect().right)})`;
    return { width: document.documentElement.scrollWidth, offenders: innermost.slice(0, 8).map(describe) };
  }, WIDTH);
  expect(width, `${what}: the page is ${width} px wide at ${WIDTH} px; past the edge: ${offenders.join("; ")}`).toBeLessThanOrEqual(WIDTH);
}

test.describe.serial("phone width", () => {
  test.setTimeout(120_000);
  let app: RunningConsole;

  test.beforeAll(async () => {
    app = await startConsole({ DEMO: "1" });
  });
  test.afterAll(async () => {
    await app?.stop();
  });
  test.beforeEach(async ({ page }) => {
    await page.setViewportSize({ width: WIDTH, height: 844 });
  });

  test("the alert list", async ({ page }) => {
    await page.goto(`${app.url}/`);
    await expect(page.getByRole("heading", { name: "Alerts", level: 1 })).toBeVisible();
    await expect(page.locator(`a[href*="${OOM}"]`).first()).toBeAttached();
    await expectNoSidewaysScroll(page, "the list");
  });

  test("an alert page with its logs after Analyze, then the issue dialog", async ({ page }) => {
    await page.goto(`${app.url}/alerts/${OOM}`);
    const panel = page.getByRole("region", { name: "Analysis" });
    await page.getByRole("button", { name: "Analyze", exact: true }).click();
    await expect(panel).toHaveAttribute("data-analysis-status", "done", { timeout: 60_000 });
    await expectNoSidewaysScroll(page, "the report");
    for (const tab of ["Previous logs", "Logs", "Events", "Pod", "Changes", "Neighbourhood"]) {
      await panel.getByRole("tab", { name: tab }).first().click();
      await expect(panel.getByRole("tab", { name: tab }).first()).toHaveAttribute("aria-selected", "true");
      await expectNoSidewaysScroll(page, `the ${tab} tab`);
    }
    await page.getByRole("tab", { name: "Previous logs" }).click();
    await expect(page.getByRole("log", { name: "Previous logs" })).not.toBeEmpty();
    await expectNoSidewaysScroll(page, "the previous logs");
    await page.screenshot({ path: "e2e/screenshots/phone-alert-390.png" });

    await page.getByRole("button", { name: "File GitHub issue" }).click();
    const dialog = page.getByRole("dialog", { name: "File GitHub issue" });
    await expect(dialog.getByTestId("issue-title")).toBeVisible();
    await expect(dialog.getByRole("button", { name: "Close" })).toBeInViewport();
    const box = await dialog.boundingBox();
    expect(box && box.x >= 0 && box.x + box.width <= WIDTH).toBe(true);
    await expectNoSidewaysScroll(page, "the issue dialog");
    await dialog.getByRole("tab", { name: "Markdown" }).click();
    await expect(dialog.getByTestId("issue-markdown")).toBeVisible();
    await expectNoSidewaysScroll(page, "the issue markdown");
    await expect(dialog.getByRole("button", { name: "Close" })).toBeInViewport();
    await page.screenshot({ path: "e2e/screenshots/phone-issue-390.png" });
    await dialog.getByRole("button", { name: "Close" }).click();
    await expect(dialog).toBeHidden();
  });

  test("every demo incident's report fits: wide tables and long inline commands stay inside the page", async ({ page }) => {
    await page.goto(`${app.url}/`);
    await expect(page.locator(`a[href*="${OOM}"]`).first()).toBeAttached();
    const hrefs = [...new Set(await page.locator('a[href^="/alerts/"]').evaluateAll((as) => as.map((a) => a.getAttribute("href") ?? "")))];
    expect(hrefs.length).toBeGreaterThanOrEqual(8);
    for (const href of hrefs) {
      await page.goto(`${app.url}${href}`);
      const panel = page.getByRole("region", { name: "Analysis" });
      await page.getByRole("button", { name: /^(Analyze|Re-analyze)$/ }).first().click();
      await expect(panel).toHaveAttribute("data-analysis-status", "done", { timeout: 60_000 });
      await expectNoSidewaysScroll(page, `the report of ${href}`);
    }
  });

  test("the analyses history", async ({ page }) => {
    await page.goto(`${app.url}/analyses`);
    await expect(page.locator("tbody tr").first()).toBeVisible();
    await expectNoSidewaysScroll(page, "the history");
  });
});
