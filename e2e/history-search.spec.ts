import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { openStore } from "@/lib/store";
import { startStack, type Stack } from "./stack";

/**
 * Issue 19 item 5 in Chromium: the history's search box searches names, causes and quoted evidence;
 * the query and filters live in the URL (Back returns to the previous search), matches are highlighted
 * as text, and an empty result says what was searched. The database is seeded before the console starts.
 */
test.describe.serial("history search", () => {
  test.setTimeout(120_000);
  let stack: Stack;
  let dir: string;

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    dir = mkdtempSync(join(tmpdir(), "e2e-search-"));
    const url = `file:${join(dir, "triage.sqlite")}`;
    const store = await openStore(url);
    const add = async (pod: string, namespace: string, title: string, evidence: string) => {
      const a = await store.createAnalysis({ fingerprint: `fp-${pod}`, trigger: "webhook", target: { namespace, pod }, alert: { labels: { alertname: "ModelPodCrashLooping", namespace, pod }, annotations: {} } });
      await store.updateAnalysis(a.id, {
        status: "done",
        report: {
          source: "gemini",
          model: "gemini-3.8-flash",
          summary: title,
          hypotheses: [{ title, likelihood: "high", explanation: "", evidence: [{ source: "logs", text: evidence, verified: true }] }],
          impact: "",
          immediateActions: [],
          prevention: [],
          insufficientEvidence: false,
          generatedAt: new Date().toISOString(),
        },
      });
    };
    await add("triton-7f9c", "gpu-inference", "GPU out of memory while loading weights", "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB");
    await add("vllm-5d2a", "ml-serving", "Container memory limit too low", "<img src=x onerror=alert(1)> Reason: OOMKilled Exit Code: 137");
    await store.close();
    stack = await startStack({ env: { DATABASE_URL: url, AUTO_ANALYZE: "false", AUTO_FILE_SEVERITIES: "none" } });
  });
  test.afterAll(async () => {
    await stack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("Enter searches; matches are marked as text; Back returns to the previous search; an empty result says what was searched", async ({ page }) => {
    await page.goto(`${stack.url}/analyses`);
    const box = page.getByRole("searchbox", { name: "Search analyses" });
    await box.fill('"CUDA out of memory"');
    await box.press("Enter");
    // A new search looks in all time unless a window was chosen.
    await expect(page).toHaveURL(/q=%22CUDA\+out\+of\+memory%22/);
    await expect(page).toHaveURL(/since=all/);
    const rows = page.locator("tbody tr");
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toContainText("gpu-inference/triton-7f9c");
    await expect(rows.first().getByTestId("search-snippet").locator("mark").first()).toContainText(/CUDA/);

    await box.fill("oomkilled");
    await box.press("Enter");
    await expect(page).toHaveURL(/q=oomkilled/);
    await expect(rows).toHaveCount(1);
    const snippet = rows.first().getByTestId("search-snippet");
    await expect(snippet).toContainText("<img src=x onerror=alert(1)>");
    await expect(snippet.locator("mark")).toHaveText(["OOMKilled"]);
    await expect(page.locator("img[src=x]")).toHaveCount(0);

    await page.getByRole("combobox", { name: "Status" }).selectOption("failed");
    await expect(page).toHaveURL(/status=failed/);
    await expect(page.getByTestId("history-empty")).toHaveText(/No analyses match “oomkilled” \(status failed, all time\)/);

    await page.goBack();
    await expect(page).not.toHaveURL(/status=failed/);
    await expect(rows).toHaveCount(1);
    await page.goBack();
    await expect(page).toHaveURL(/q=%22CUDA/);
    await expect(box).toHaveValue('"CUDA out of memory"');
    await expect(rows.first()).toContainText("triton-7f9c");

    // A shared link opens the same search.
    await page.goto(`${stack.url}/analyses?q=triton&namespace=gpu&since=all`);
    await expect(rows).toHaveCount(1);
    await expect(page.getByRole("searchbox", { name: "Search analyses" })).toHaveValue("triton");
    await page.goto(`${stack.url}/analyses?q=${encodeURIComponent('NEAR( " *')}&since=all`);
    await expect(page.getByTestId("history-empty")).toHaveText(/No analyses match “NEAR\( " \*”/);
  });
});
