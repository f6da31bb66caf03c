import { expect, test } from "@playwright/test";
import { startConsole, type RunningConsole } from "./harness";
import { docsShot } from "./docs-shot";

/**
 * The README's screenshots (issue 17, "Done when"): the list, an alert page with its report, and the issue
 * preview, at 1440×900 and 390×844, from the demo. Each asserts what it shows before taking the picture, so a
 * screenshot of a half-loaded page fails instead of landing in the README. `npm run screenshots` writes them
 * into docs/; `npm test` into .tmp/screenshots (e2e/docs-shot.ts).
 */

const OOM = "3f9a1c7e52d4b860";
// The demo has no Alertmanager of its own: an address for the link to show, as `npm run demo` configures it.
const PUBLIC_URL = "http://localhost:9093";
const WIDTHS = [
  { width: 1440, height: 900 },
  { width: 390, height: 844 },
];

test.use({ locale: "en-US", timezoneId: "UTC", colorScheme: "light" });

test.describe.serial("README screenshots", () => {
  test.setTimeout(180_000);
  let app: RunningConsole;

  test.beforeAll(async () => {
    app = await startConsole({ DEMO: "1", ALERTMANAGER_PUBLIC_URL: PUBLIC_URL });
  });
  test.afterAll(async () => {
    await app?.stop();
  });

  for (const size of WIDTHS) {
    test(`the list, an alert's report and the issue preview at ${size.width}×${size.height}`, async ({ page }) => {
      await page.setViewportSize(size);
      await page.goto(`${app.url}/`);
      await expect(page.getByRole("heading", { name: "Alerts", level: 1 })).toBeVisible();
      const row = page.locator(`[data-testid="alert-row"][data-fingerprint="${OOM}"]`);
      await expect(row.getByTestId("alertmanager-link")).toHaveAttribute("href", new RegExp(`^${PUBLIC_URL}/#/alerts\\?`));
      await expect(page.getByTestId("last-updated")).toBeVisible();
      // Away from the list, which holds live updates while the pointer is on it.
      await page.mouse.move(0, 0);
      await docsShot(page, `list-${size.width}`);

      await page.goto(`${app.url}/alerts/${OOM}`);
      const panel = page.getByRole("region", { name: "Analysis" });
      await page.getByRole("button", { name: "Analyze", exact: true }).click();
      await expect(panel).toHaveAttribute("data-analysis-status", "done", { timeout: 60_000 });
      await expect(page.getByRole("link", { name: "in Alertmanager ↗", exact: true })).toBeVisible();
      await page.mouse.move(0, 0);
      // The report in view: side by side on a desktop, the vital signs and report beside the logs from their
      // top; on a phone, where they stack, from the report's first line.
      const top = size.width >= 1024 ? panel.getByRole("heading", { name: "Vital signs" }).first() : panel.getByText(/^Offline analysis/).first();
      // Charts and the history load after the report and move it: scroll until it stays put.
      await expect
        .poll(async () => {
          await top.evaluate((el) => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 32));
          await page.waitForTimeout(300);
          return Math.round((await top.boundingBox())?.y ?? -1);
        })
        .toBe(32);
      await docsShot(page, `alert-${size.width}`);

      await page.getByRole("button", { name: "File GitHub issue" }).click();
      const dialog = page.getByRole("dialog", { name: "File GitHub issue" });
      await expect(dialog.getByTestId("issue-title")).toBeVisible();
      await expect(dialog.getByRole("tabpanel").getByRole("heading").first()).toBeVisible();
      await docsShot(page, `issue-${size.width}`);
    });
  }
});
