import { expect, test, type Page } from "@playwright/test";
import { buildMetricsCharts } from "@/lib/prometheus/charts";
import { readMetrics } from "@/lib/prometheus/reading";
import { startPrometheus, type OmSeries, type RunningPrometheus } from "@/test/helpers/prometheus";
import { allScenarios, PODS } from "@/test/prometheus/scenarios";
import { CONTAINER, NS, POD, fingerprintOf, getAnalysis, oomAlert, startStack, type Stack } from "./stack";

/**
 * Issue 15 in Chromium: the OOMKilled vLLM pod's series (a saw-tooth up to its 16 GiB limit, a restart
 * after each peak) backfilled into Debian's real Prometheus, the console pointed at it, Analyze, then the
 * Metrics tab: uPlot's canvas, a legend naming the limit, the reading's summary line under each chart,
 * values on hover, no CSP violation, and no horizontal overflow on a phone.
 */

/** The scenarios' OOM pod under the stack's names (namespace, pod, container). */
function oomPodSeries(now: number): OmSeries[] {
  return allScenarios(now)
    .filter((s) => s.labels.pod === PODS.oom)
    .map((s) => ({
      ...s,
      labels: { ...s.labels, namespace: NS, pod: POD, ...(s.labels.container && s.labels.container !== "POD" ? { container: CONTAINER } : {}) },
    }));
}

function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" || /Content[- ]Security[- ]Policy/i.test(m.text())) problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  return problems;
}

test.describe.serial("the Metrics tab", () => {
  test.setTimeout(180_000);
  let prom: RunningPrometheus;
  let stack: Stack;
  let fingerprint: string;

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    prom = await startPrometheus(oomPodSeries(Math.floor(Date.now() / 1000)));
    stack = await startStack({ alerts: [oomAlert()], prometheusUrl: prom.url });
    fingerprint = await fingerprintOf(stack.am, { pod: POD });
  });
  test.afterAll(async () => {
    await stack?.stop();
    await prom?.stop();
  });

  test("charts memory against its limit with the reading's summary, values on hover, no CSP violation", async ({ page }) => {
    const problems = watchConsole(page);
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${stack.url}/alerts/${fingerprint}`);
    await page.getByRole("button", { name: "Analyze", exact: true }).click();
    await expect(page.getByRole("heading", { name: "Evidence by hypothesis" })).toBeVisible({ timeout: 90_000 });

    const panel = page.getByRole("region", { name: "Analysis" });
    const id = (await panel.getAttribute("data-analysis-id")) ?? "";
    const analysis = await getAnalysis(stack.url, id);
    const metrics = analysis.bundle?.metrics;
    if (!metrics) throw new Error(`the bundle has no metrics part: ${JSON.stringify(analysis.bundle?.errors)}`);
    expect(metrics.source).toBe(prom.url);
    const reading = readMetrics(metrics);
    const expected = buildMetricsCharts(metrics, reading);
    expect(expected.map((c) => c.key)).toEqual(expect.arrayContaining(["memory", "cpu", "restarts"]));

    await page.getByRole("tab", { name: "Metrics" }).click();
    const tab = page.getByRole("tabpanel");
    const memory = tab.locator('[data-chart="memory"]');
    await expect(memory.locator("canvas")).toHaveCount(1);
    await expect(memory.locator(".u-legend .u-label", { hasText: /^limit$/ })).toBeVisible();
    await expect(memory.locator(".u-legend .u-label", { hasText: /^request$/ })).toBeVisible();
    // The line under the chart is the reading's line, the one a report quotes.
    const memorySummary = expected.find((c) => c.key === "memory")?.summary ?? "";
    expect(reading.lines).toContain(memorySummary);
    expect(memorySummary).toMatch(/^memory working set [\d.]+ GiB of 16 GiB limit \(\d+%\)/);
    await expect(memory.getByTestId("metrics-summary")).toHaveText(memorySummary);
    await expect(memory).toHaveAccessibleDescription(memorySummary);
    await expect(tab.locator('[data-chart="restarts"]').getByTestId("metrics-summary")).toHaveText(/^restarts: [34] in the window, at /);
    // No GPU and no model server on this pod: said, not charted.
    await expect(tab.locator('[data-chart="gpu_memory"]')).toHaveCount(0);
    await expect(tab.getByTestId("metrics-absent")).toContainText("no GPU series for this pod");

    // Hover: the legend shows the values under the cursor, the limit in the summary's unit.
    const over = memory.locator(".u-over");
    const box = await over.boundingBox();
    if (!box) throw new Error("no plot area");
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
    const limitRow = memory.locator(".u-legend .u-series").filter({ has: page.locator(".u-label", { hasText: /^limit$/ }) });
    await expect(limitRow.locator(".u-value")).toHaveText("16 GiB");

    const renderMs = await memory.locator(".metrics-chart").getAttribute("data-render-ms");
    console.log(`memory chart (3 series, ${expected[0]?.x.length} points): first draw ${renderMs} ms after creation`);
    await page.mouse.move(0, 0);
    await page.getByRole("tablist").evaluate((el) => el.scrollIntoView({ block: "start" }));
    await page.screenshot({ path: "e2e/screenshots/metrics-tab.png" });
    expect(problems).toEqual([]);
  });

  test("on a phone the charts fit the screen: no horizontal overflow", async ({ page }) => {
    const problems = watchConsole(page);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${stack.url}/alerts/${fingerprint}`);
    await page.getByRole("tab", { name: "Metrics" }).click();
    const memory = page.getByRole("tabpanel").locator('[data-chart="memory"]');
    await expect(memory.locator("canvas")).toHaveCount(1);
    await page.getByRole("tablist").evaluate((el) => el.scrollIntoView({ block: "start" }));
    const widths = await page.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      canvases: [...document.querySelectorAll(".metrics-chart canvas")].map((c) => c.getBoundingClientRect().right),
    }));
    expect(widths.page).toBeLessThanOrEqual(390);
    for (const right of widths.canvases) expect(right).toBeLessThanOrEqual(390);
    await page.screenshot({ path: "e2e/screenshots/metrics-tab-phone.png" });
    expect(problems).toEqual([]);
  });
});
