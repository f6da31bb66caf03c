import { expect, test } from "@playwright/test";
import { reportFromPrompt, type RecordedRequest } from "@/test/fakes/gemini-server";
import { NS, POD, fingerprintOf, getAnalysis, oomAlert, startStack, type Stack } from "./stack";

/**
 * Issue 19 item 2 in Chromium: a second analysis of the same OOM shows the first under "Seen before" on the
 * alert page, Gemini was given the first as context, and the link opens the earlier analysis's page, which
 * lists the later one in its own panel.
 */

/** The fake model naming the OOM kill as the top cause, so the analysis has a signature. */
const oomReport = (req: RecordedRequest) => ({
  ...(reportFromPrompt(req) as Record<string, unknown>),
  hypotheses: [{ title: "The vLLM container exceeded its memory limit", category: "oom_killed", likelihood: "high", explanation: "OOMKilled, exit code 137.", evidence: [{ source: "status", text: "OOMKilled" }] }],
});

test.describe.serial("Seen before", () => {
  test.setTimeout(180_000);
  let stack: Stack;
  let fingerprint: string;

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    stack = await startStack({ alerts: [oomAlert()] });
    fingerprint = await fingerprintOf(stack.am, { pod: POD });
  });
  test.afterAll(async () => {
    await stack?.stop();
  });

  test("the second analysis of an OOM lists the first, Gemini saw it, and the link opens it", async ({ page }) => {
    await page.goto(`${stack.url}/alerts/${fingerprint}`);
    const panel = page.getByRole("region", { name: "Analysis" });

    stack.gemini.enqueue({ kind: "report", build: oomReport });
    await page.getByRole("button", { name: "Analyze", exact: true }).click();
    await expect(panel).toHaveAttribute("data-analysis-status", "done", { timeout: 60_000 });
    const firstId = (await panel.getAttribute("data-analysis-id")) ?? "";
    const seen = panel.getByRole("region", { name: "Seen before" });
    await expect(seen).toContainText("No earlier incident with this signature.");
    const first = await getAnalysis(stack.url, firstId);
    expect(first.workloadKey).toBe(`prod-eu/${NS}/Deployment/${POD.replace(/-[a-z0-9]+-[a-z0-9]{5}$/, "")}`);

    stack.gemini.enqueue({ kind: "report", build: oomReport });
    await page.getByRole("button", { name: "Re-analyze" }).click();
    await expect(panel).not.toHaveAttribute("data-analysis-id", firstId);
    await expect(panel).toHaveAttribute("data-analysis-status", "done", { timeout: 60_000 });
    const secondId = (await panel.getAttribute("data-analysis-id")) ?? "";
    expect((await getAnalysis(stack.url, secondId)).signature).toBe(first.signature);

    // Gemini's second request carried the first analysis, fenced, under its own heading.
    const prompt = stack.gemini.requests.at(-1)?.userText ?? "";
    expect(prompt).toMatch(new RegExp(`## Seen before[^\\n]*\\n\`{3,}text\\nanalysisId=${firstId}: [^\\n]*same workload; top cause oom_killed`));

    await expect(seen.getByText("same workload")).toBeVisible();
    const link = seen.getByRole("link").first();
    await expect(link).toHaveAttribute("href", `/analyses/${firstId}`);
    await page.screenshot({ path: "e2e/screenshots/seen-before.png", fullPage: true });
    await link.click();
    await expect(page).toHaveURL(new RegExp(`/analyses/${firstId}$`));
    const earlier = page.getByRole("region", { name: "Analysis" });
    await expect(earlier).toHaveAttribute("data-analysis-id", firstId);
    await expect(earlier.getByRole("region", { name: "Seen before" }).getByRole("link").first()).toHaveAttribute("href", `/analyses/${secondId}`);
  });
});
