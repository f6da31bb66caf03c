import { expect, test, type Page } from "@playwright/test";
import { POD, REPO, eventually, fingerprintOf, listAnalyses, oomAlert, startStack, type Stack } from "./stack";

/**
 * Issue 19 items 3 and 4 in Chromium: a real Alertmanager fires and resolves the OOM alert; the console
 * analyzes and files it; the resolved alert's page asks for feedback; the engineer gives it; it survives
 * a reload, shows in the history and on /accuracy, and the fake GitHub receives it as a comment.
 */

const shot = (page: Page, name: string) => page.screenshot({ path: `e2e/screenshots/${name}.png`, fullPage: true });

test.describe.serial("Resolution feedback", () => {
  test.setTimeout(180_000);
  let stack: Stack;
  let fingerprint: string;
  const startsAt = new Date(Date.now() - 5 * 60_000).toISOString();

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    stack = await startStack({ webhook: true, env: { AUTO_FILE_SEVERITIES: "critical", ANALYSIS_COOLDOWN_SECONDS: "0" } });
  });
  test.afterAll(async () => {
    await stack?.stop();
  });

  test("the resolved alert asks for feedback; it is stored, shown after a reload and in the history, and posted on the issue", async ({ page }) => {
    await stack.am.postAlerts([oomAlert({ startsAt })]);
    fingerprint = await eventually(() => fingerprintOf(stack.am, { pod: POD }).catch(() => undefined), "Alertmanager to hold the alert");
    const issue = await eventually(async () => stack.github.issues(REPO)[0], "the fake GitHub to get the incident's issue");
    await eventually(async () => {
      const a = (await listAnalyses(stack.url, { fingerprint }))[0];
      return a?.status === "done" && a.issueNumber ? a : undefined;
    }, "the analysis to be done and filed");

    // Still firing: the page offers feedback but does not ask for it.
    await page.goto(`${stack.url}/alerts/${fingerprint}`);
    const card = page.getByRole("region", { name: "Resolution feedback" });
    await expect(card.getByRole("button", { name: "Give feedback" })).toBeVisible();
    await expect(card.getByTestId("feedback-prompt")).toHaveCount(0);

    await stack.am.postAlerts([oomAlert({ startsAt, endsAt: new Date(Date.now() - 1000).toISOString() })]);
    await eventually(async () => stack.github.comments(REPO, issue.number).find((c) => /resolved at/i.test(c.body)), "the resolution to reach the console");
    await page.reload();
    await expect(card.getByTestId("feedback-prompt")).toContainText("The alert has resolved");
    const form = card.getByRole("form", { name: "Feedback" });
    await form.getByRole("radio", { name: /^#1 / }).check();
    await form.getByLabel("What fixed it?").fill("Raised the memory limit to 40Gi and lowered max_num_seqs to 128.");
    await shot(page, "feedback-form");
    await form.getByRole("button", { name: "Save feedback" }).click();
    await expect(card.getByTestId("feedback-verdict")).toHaveText("confirmed #1");
    await expect(card.getByTestId("feedback-comment-status")).toHaveAttribute("data-status", "posted", { timeout: 30_000 });

    const comment = stack.github.comments(REPO, issue.number).find((c) => c.body.includes("Resolution feedback"));
    expect(comment?.body).toContain("hypothesis 1 of the report was right");
    expect(comment?.body).toContain("Raised the memory limit to 40Gi");

    await page.reload();
    await expect(card.getByTestId("feedback-verdict")).toHaveText("confirmed #1");
    await expect(card).toContainText("Raised the memory limit to 40Gi");
    await expect(card.getByTestId("feedback-prompt")).toHaveCount(0);
    await expect(card.getByRole("link", { name: "View comment" })).toHaveAttribute("href", comment?.htmlUrl ?? "?");
    await shot(page, "feedback-given");

    // Changed their mind: none was right. The latest wins; the earlier answer is kept.
    await card.getByRole("button", { name: "Change feedback" }).click();
    await form.getByRole("radio", { name: "None of them" }).check();
    // Without the actual cause the browser does not send it.
    const cause = form.getByLabel("What was the actual cause?");
    await form.getByRole("button", { name: "Save feedback" }).click();
    expect(await cause.evaluate((e) => (e as HTMLTextAreaElement).validity.valueMissing)).toBe(true);
    await expect(card.getByTestId("feedback-verdict")).toHaveCount(0);
    await cause.fill("A noisy neighbour on the node starved the pod of memory.");
    await form.getByLabel("Category (optional)").selectOption("node_pressure");
    await form.getByRole("button", { name: "Save feedback" }).click();
    await expect(card.getByTestId("feedback-verdict")).toHaveText("none");
    await expect(card).toContainText("replaces 1 earlier answer");

    await page.goto(`${stack.url}/analyses?since=all`);
    await expect(page.getByRole("region", { name: "Analyses" }).getByTestId("verdict-badge").first()).toHaveText("none");

    await page.getByRole("link", { name: "How often are the reports right?" }).click();
    await expect(page).toHaveURL(/\/accuracy$/);
    await expect(page.getByTestId("accuracy-cases")).toHaveText("1");
    await expect(page.getByTestId("accuracy-top3")).toHaveText("0%");
    await expect(page.getByRole("region", { name: "By category" }).locator('tr[data-key="node_pressure"]')).toContainText("small sample");
    await shot(page, "accuracy");
  });
});
