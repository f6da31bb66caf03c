import { expect, test, type Page } from "@playwright/test";
import { findDemoIncident } from "@/lib/demo/incidents";
import { startConsole, type RunningConsole } from "./harness";

/**
 * Issue 16, item 7 in Chromium on the demo console: the Changes tab shows the rollout that caused the vLLM
 * OOM (`--max-model-len 8192 → 32768`) with the alert start marked, the Neighbourhood tab reads "1 of 4
 * replicas unhealthy" for the whisper incident, and the Pod tab shows the spec beside the status.
 */

const OOM = "3f9a1c7e52d4b860";
const SLOW_LOAD = "5d02e8b7a96c4f31";

/**
 * A finished analysis on the alert's page. An earlier test may have analysed the same alert: the page's
 * latest analysis loads after the page, and the button then reads "Re-analyze", so wait for the load and
 * click whichever it reads (clicking "Analyze" raced the load and waited out the timeout when it lost).
 */
async function analyze(page: Page, url: string, fingerprint: string) {
  await page.goto(`${url}/alerts/${fingerprint}`);
  const panel = page.getByRole("region", { name: "Analysis" });
  await expect(panel).not.toHaveAttribute("data-analysis-status", "loading");
  await page.getByRole("button", { name: /^(Analyze|Re-analyze)$/ }).click();
  await expect(panel).toHaveAttribute("data-analysis-status", "done", { timeout: 60_000 });
  return panel;
}

test.describe.serial("Changes and Neighbourhood on the demo", () => {
  test.setTimeout(120_000);
  let app: RunningConsole;

  test.beforeAll(async () => {
    expect(findDemoIncident(OOM)?.scenario).toBe("oom-killed");
    expect(findDemoIncident(SLOW_LOAD)?.scenario).toBe("liveness-slow-load");
    app = await startConsole({ DEMO: "1" });
  });
  test.afterAll(async () => {
    await app?.stop();
  });

  test("the rollout incident: Changes shows the diff and the alert marker; the Pod tab shows the spec", async ({ page }) => {
    await page.setViewportSize({ width: 1440, height: 900 });
    const panel = await analyze(page, app.url, OOM);
    await panel.getByRole("tab", { name: "Changes" }).click();
    const changes = page.getByTestId("changes-panel");
    await expect(changes.getByRole("heading", { name: "Changes to Deployment llm-chat-vllm" })).toBeVisible();
    const line = changes.locator('[data-revision="7"] li', { hasText: "--max-model-len 8192 → 32768" });
    await expect(line).toHaveText("vllm: --max-model-len 8192 → 32768");
    await expect(changes.locator('[data-revision="7"] h4')).toContainText("6 min before the alert");
    const marker = changes.getByTestId("alert-marker");
    await expect(marker).toContainText("Alert started");
    // The alert started after revision 7 rolled out: the marker is above it in the newest-first timeline.
    const [markerBox, revisionBox] = await Promise.all([marker.boundingBox(), changes.locator('[data-revision="7"]').boundingBox()]);
    expect(markerBox?.y ?? Infinity).toBeLessThan(revisionBox?.y ?? -Infinity);
    await page.screenshot({ path: "e2e/screenshots/changes-panel.png" });

    await page.setViewportSize({ width: 390, height: 844 });
    await line.scrollIntoViewIfNeeded();
    await expect(line).toBeVisible();
    await page.screenshot({ path: "e2e/screenshots/changes-panel-390.png" });
    await page.setViewportSize({ width: 1440, height: 900 });

    await panel.getByRole("tab", { name: "Pod", exact: true }).click();
    const pod = page.getByTestId("pod-tab");
    await expect(pod.getByRole("heading", { name: "Container vllm" })).toBeVisible();
    await expect(pod).toContainText("cpu=8 memory=24Gi nvidia.com/gpu=1");
    await expect(pod.locator("li", { hasText: "--max-model-len 32768" })).toBeVisible();
    await expect(pod).toContainText("lastState: terminated OOMKilled");
  });

  test("a status or event quote in the report jumps to the line it quotes and outlines it", async ({ page }) => {
    const panel = await analyze(page, app.url, OOM);
    const evidence = panel.getByRole("region", { name: "Evidence" });
    const quote = evidence.getByRole("button", { name: /^(status|events):/ }).first();
    await expect(quote).toBeVisible();
    const source = (await quote.textContent()) ?? "";
    await quote.click();
    await expect(panel.getByRole("tab", { name: source === "status" ? "Pod" : /^Events/, exact: source === "status" })).toHaveAttribute("aria-selected", "true");
    await expect(panel.locator('[role="tabpanel"] [data-focused="true"]')).toBeInViewport();
  });

  test("one replica of four: Neighbourhood reads 1 of 4 and marks the alert's pod", async ({ page }) => {
    await page.setViewportSize({ width: 1440, height: 900 });
    const panel = await analyze(page, app.url, SLOW_LOAD);
    await panel.getByRole("tab", { name: "Neighbourhood" }).click();
    const hood = page.getByTestId("neighbourhood-panel");
    await expect(hood.getByTestId("replica-health")).toContainText("1 of 4 replicas unhealthy");
    const target = hood.locator('tr[data-target="true"]');
    await expect(target).toContainText("whisper-asr-large-v3-84c7b9d5f6-m9zpl");
    await expect(target).toContainText("(this pod)");
    await expect(hood.getByRole("heading", { name: /^Node gke-ml-demo-l4-pool-3f2a1b7c-t2mz/ })).toBeVisible();
    await expect(hood).toContainText("No HorizontalPodAutoscaler scales Deployment whisper-asr-large-v3");
  });
});
