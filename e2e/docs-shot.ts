import { join, resolve } from "node:path";
import type { Page } from "@playwright/test";

/**
 * Screenshots meant for the README. A normal e2e run (`npm test`) writes them into .tmp/screenshots, so it
 * leaves `git status` clean; `npm run screenshots` (scripts/screenshots.sh) sets DOCS_SCREENSHOTS=1 and they
 * replace the committed ones in docs/.
 */
export const DOCS_SHOT_DIR = resolve(import.meta.dirname, "..", process.env.DOCS_SCREENSHOTS === "1" ? "docs" : ".tmp/screenshots");

/** The viewport as it is, once the web fonts have loaded, animations stopped and the caret hidden. */
export async function docsShot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => document.fonts.ready);
  await page.screenshot({ path: join(DOCS_SHOT_DIR, `${name}.png`), animations: "disabled", caret: "hide" });
}
