import { expect, test, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { CONTAINER, NS, POD, REPO, SECRETS, fingerprintOf, getAnalysis, listAnalyses, oomAlert, startStack, type Stack } from "./stack";

/**
 * Issue 4 in Chromium: Analyze with live progress, the report beside the logs with evidence linked to
 * log lines, joining a running analysis, Re-analyze, history, deep links and filing the GitHub issue.
 * The console runs with AUTH_MODE=proxy behind "our" proxy (the test, on loopback), so every browser
 * context is a named engineer and the audit trail can be checked.
 */

const shot = (page: Page, name: string) => page.screenshot({ path: `e2e/screenshots/${name}.png`, fullPage: true });
const ALICE = "alice@example.com";
const BOB = "bob@example.com";
const as = (user: string) => ({ "x-auth-request-email": user });
const DEEP_POD = "whisper-asr-large-v3-84c7b9d5f6-m9zpl";
const secretValues = Object.values(SECRETS);

async function engineer(browser: Browser, user: string): Promise<BrowserContext> {
  return browser.newContext({ extraHTTPHeaders: as(user), permissions: ["clipboard-read", "clipboard-write"] });
}

async function expectNoSecrets(page: Page, where: string) {
  const text = await page.evaluate(() => document.body.innerText);
  const html = await page.content();
  for (const s of secretValues) {
    expect(text, `${where}: page text shows a planted secret`).not.toContain(s);
    expect(html, `${where}: page HTML carries a planted secret`).not.toContain(s);
  }
}

test.describe.serial("Analyze in the browser", () => {
  test.setTimeout(180_000);
  let stack: Stack;
  let fingerprint: string;
  let firstId: string;

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    stack = await startStack({
      env: { AUTH_MODE: "proxy", AUTH_TRUSTED_PROXIES: "127.0.0.1" },
      alerts: [
        oomAlert(),
        {
          labels: { alertname: "ModelPodFrequentRestarts", severity: "warning", cluster: "prod-eu", namespace: NS, pod: DEEP_POD, container: "asr" },
          annotations: { summary: `${DEEP_POD} restarted 5 times in 30m` },
          startsAt: new Date(Date.now() - 10 * 60_000).toISOString(),
        },
      ],
    });
    fingerprint = await fingerprintOf(stack.am, { pod: POD });
  });
  test.afterAll(async () => {
    await stack?.stop();
  });

  test("two engineers: Analyze shows live progress and a second click joins the running analysis", async ({ browser }) => {
    const alice = await engineer(browser, ALICE);
    const bob = await engineer(browser, BOB);
    try {
      const a = await alice.newPage();
      await a.goto(`${stack.url}/`);
      await a.getByRole("link", { name: `${NS}/${POD}` }).click();
      await expect(a).toHaveURL(new RegExp(`/alerts/${fingerprint}$`));
      await expect(a.getByRole("heading", { level: 1 })).toHaveText("ModelPodOOMKilled");
      const b = await bob.newPage();
      await b.goto(`${stack.url}/alerts/${fingerprint}`);
      await expect(b.getByRole("button", { name: "Analyze", exact: true })).toBeEnabled();

      // The model takes a while, so the steps before it are seen finishing.
      stack.gemini.enqueue({ kind: "report", delayMs: 10_000 });
      await a.getByRole("button", { name: "Analyze", exact: true }).click();
      const steps = a.getByRole("list", { name: "Analysis progress" });
      await expect(steps.locator('[data-step="pod"]')).toHaveAttribute("data-status", "done");
      await expect(steps.locator('[data-step="logs"]')).toHaveAttribute("data-status", "done");
      await expect(steps.locator('[data-step="events"]')).toHaveAttribute("data-status", "done");
      await expect(steps.locator('[data-step="gemini"]')).not.toHaveAttribute("data-status", /done|failed|skipped/);
      await expect(a.getByRole("button", { name: "Analyzing…" })).toBeDisabled();
      await shot(a, "analyze-progress");

      const panelA = a.getByRole("region", { name: "Analysis" });
      firstId = (await panelA.getAttribute("data-analysis-id")) ?? "";
      expect(firstId).toMatch(/^[0-9a-f-]{36}$/);

      await b.getByRole("button", { name: "Analyze", exact: true }).click();
      await expect(b.getByRole("region", { name: "Analysis" })).toHaveAttribute("data-analysis-id", firstId);

      for (const p of [a, b]) await expect(p.getByRole("heading", { name: "Evidence by hypothesis" })).toBeVisible({ timeout: 60_000 });
      const all = await listAnalyses(stack.url, { fingerprint }, as(ALICE));
      expect(all.map((x) => x.id)).toEqual([firstId]);
      expect(all[0]?.startedBy).toBe(ALICE);
      expect(all[0]?.status).toBe("done");
      expect(stack.gemini.requests).toHaveLength(1);
    } finally {
      await alice.close();
      await bob.close();
    }
  });

  test("the report sits beside the logs: evidence jumps to the highlighted line, search filters, markdown copies", async ({ browser }) => {
    const ctx = await engineer(browser, ALICE);
    try {
      const page = await ctx.newPage();
      await page.goto(`${stack.url}/alerts/${fingerprint}`);
      // The latest analysis shows at once, without pressing anything.
      await expect(page.getByRole("region", { name: "Analysis" })).toHaveAttribute("data-analysis-id", firstId);
      const analysis = await getAnalysis(stack.url, firstId, as(ALICE));
      const report = analysis.report;
      if (!report || !analysis.bundle) throw new Error("the analysis has no report or bundle");
      expect(report.source).toBe("gemini");
      expect(report.hypotheses.length).toBeGreaterThan(0);
      const evidence = page.getByRole("region", { name: "Evidence" });
      for (const h of report.hypotheses) await expect(evidence).toContainText(h.title);

      const cited = report.hypotheses.flatMap((h) => h.evidence).find((e) => e.source === "previousLogs" && e.line);
      if (!cited?.line) throw new Error(`no previous-log evidence with a line in ${JSON.stringify(report.hypotheses)}`);
      const logLines = (analysis.bundle.previousLogs ?? "").split("\n");
      expect(logLines.length).toBeGreaterThan(300);
      expect(logLines[cited.line - 1]).toContain(cited.text);

      await expect(page.getByRole("tab", { name: "Logs", exact: true })).toHaveAttribute("aria-selected", "true");
      await evidence.getByRole("button", { name: `previousLogs:${cited.line}` }).click();
      await expect(page.getByRole("tab", { name: "Previous logs" })).toHaveAttribute("aria-selected", "true");
      const log = page.getByRole("log", { name: "Previous logs" });
      const line = log.locator(`[data-line="${cited.line}"]`);
      await expect(line).toHaveAttribute("data-evidence", "true");
      await expect(line).toContainText(cited.text);
      await expect(line).toBeInViewport();
      expect(await log.evaluate((el) => el.scrollTop)).toBeGreaterThan(0);
      await expect(log.locator("[data-line='1']")).not.toBeInViewport();
      await shot(page, "analyze-report-evidence");

      const search = page.getByRole("searchbox", { name: "Search previous logs" });
      await search.fill("killed");
      const matching = logLines.filter((l) => l.toLowerCase().includes("killed")).length;
      expect(matching).toBeGreaterThan(0);
      await expect(log.locator("[data-line]")).toHaveCount(matching);
      await expect(page.getByText(`${matching} matching of ${logLines.length} lines`)).toBeVisible();
      await search.fill("");
      await expect(log.locator("[data-line]")).toHaveCount(logLines.length);

      await page.getByRole("button", { name: "Copy markdown" }).click();
      await expect(page.getByRole("button", { name: "Copied" })).toBeVisible();
      const copied = await page.evaluate(() => navigator.clipboard.readText());
      expect(copied).toBe(analysis.markdown);
      expect(copied).toContain(report.hypotheses[0]?.title ?? "?");

      await expectNoSecrets(page, "logs tab");
      for (const tab of ["Previous logs", "Events", "Pod", "Changes", "Neighbourhood"]) {
        await page.getByRole("tab", { name: new RegExp(`^${tab}`) }).click();
        await expectNoSecrets(page, `${tab} tab`);
      }
      expect(JSON.stringify(analysis)).not.toMatch(new RegExp(secretValues.map((s) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join("|")));
    } finally {
      await ctx.close();
    }
  });

  test("Re-analyze starts a new analysis and the history says who started each", async ({ browser }) => {
    const ctx = await engineer(browser, BOB);
    try {
      const page = await ctx.newPage();
      await page.goto(`${stack.url}/alerts/${fingerprint}`);
      const panel = page.getByRole("region", { name: "Analysis" });
      await expect(panel).toHaveAttribute("data-analysis-id", firstId);
      stack.gemini.enqueue({ kind: "report", delayMs: 2_000 });
      await page.getByRole("button", { name: "Re-analyze" }).click();
      await expect(panel).not.toHaveAttribute("data-analysis-id", firstId);
      await expect(panel).toHaveAttribute("data-analysis-status", "done", { timeout: 60_000 });
      const secondId = (await panel.getAttribute("data-analysis-id")) ?? "";
      const all = await listAnalyses(stack.url, { fingerprint }, as(BOB));
      expect(new Set(all.map((x) => x.id))).toEqual(new Set([firstId, secondId]));
      expect(all.find((x) => x.id === secondId)?.startedBy).toBe(BOB);

      await page.getByRole("link", { name: "Analyses" }).click();
      await expect(page).toHaveURL(/\/analyses/);
      const rows = page.locator("tbody tr");
      await expect(rows).toHaveCount(2);
      await expect(rows.filter({ hasText: BOB })).toContainText(`${NS}/${POD}`);
      await expect(rows.filter({ hasText: ALICE })).toContainText("ModelPodOOMKilled");
      await expect(rows.filter({ hasText: ALICE })).toContainText("(manual)");
      await shot(page, "analyses-history");
      await rows.filter({ hasText: ALICE }).getByRole("link").first().click();
      await expect(page).toHaveURL(new RegExp(`/analyses/${firstId}$`));
      await expect(page.getByRole("heading", { name: "Evidence by hypothesis" })).toBeVisible();
    } finally {
      await ctx.close();
    }
  });

  test("a deep link with analyze=1 starts an analysis by itself", async ({ browser }) => {
    const ctx = await engineer(browser, ALICE);
    try {
      const page = await ctx.newPage();
      const q = new URLSearchParams({ alertname: "ModelPodFrequentRestarts", namespace: NS, pod: DEEP_POD, analyze: "1" });
      await page.goto(`${stack.url}/triage?${q}`);
      await expect(page.getByRole("heading", { level: 1 })).toHaveText("ModelPodFrequentRestarts");
      await expect(page.getByRole("heading", { name: "Evidence by hypothesis" })).toBeVisible({ timeout: 60_000 });
      const deepFp = await fingerprintOf(stack.am, { pod: DEEP_POD });
      const all = await listAnalyses(stack.url, { fingerprint: deepFp }, as(ALICE));
      expect(all).toHaveLength(1);
      await expect(page.getByRole("region", { name: "Analysis" })).toHaveAttribute("data-analysis-id", all[0]?.id ?? "?");
      expect(all[0]?.target?.pod).toBe(DEEP_POD);
      // Opening the same link again shows that analysis instead of starting another.
      await page.reload();
      await expect(page.getByRole("heading", { name: "Evidence by hypothesis" })).toBeVisible();
      expect(await listAnalyses(stack.url, { fingerprint: deepFp }, as(ALICE))).toHaveLength(1);
      await shot(page, "triage-deep-link");
    } finally {
      await ctx.close();
    }
  });

  test("File GitHub issue: preview, confirm, link to the issue, and the alert list shows it", async ({ browser }) => {
    const ctx = await engineer(browser, ALICE);
    try {
      const page = await ctx.newPage();
      await page.goto(`${stack.url}/alerts/${fingerprint}`);
      const panel = page.getByRole("region", { name: "Analysis" });
      await expect(panel).toHaveAttribute("data-analysis-status", "done");
      const latestId = (await panel.getAttribute("data-analysis-id")) ?? "";
      await page.getByRole("button", { name: "File GitHub issue" }).click();
      const dialog = page.getByRole("dialog", { name: "File GitHub issue" });
      await expect(dialog.getByTestId("issue-title")).toHaveText(`[PRODUCTION ALERT] ModelPodOOMKilled - ${POD}`);
      const labels = dialog.getByTestId("issue-labels");
      for (const l of ["production-alert", "ai-analysis", "critical"]) await expect(labels).toContainText(l);
      await expectNoSecrets(page, "issue preview");
      await shot(page, "issue-preview");
      expect(stack.github.issues(REPO)).toHaveLength(0);

      await dialog.getByRole("button", { name: "File issue" }).click();
      const link = dialog.getByRole("link", { name: /^Filed #\d+$/ });
      await expect(link).toBeVisible();
      const issues = stack.github.issues(REPO);
      expect(issues).toHaveLength(1);
      const issue = issues[0];
      if (!issue) throw new Error("no issue");
      expect(issue.title).toBe(`[PRODUCTION ALERT] ModelPodOOMKilled - ${POD}`);
      expect(issue.labels).toEqual(expect.arrayContaining(["production-alert", "ai-analysis", "critical"]));
      for (const s of secretValues) expect(issue.body ?? "").not.toContain(s);
      const htmlUrl = `https://github.com/${REPO}/issues/${issue.number}`;
      await expect(link).toHaveAttribute("href", htmlUrl);
      await expect(link).toHaveText(`Filed #${issue.number}`);
      const filed = await getAnalysis(stack.url, latestId, as(ALICE));
      expect(filed.filedBy).toBe(ALICE);
      await dialog.getByRole("button", { name: "Close" }).click();

      await page.goto(`${stack.url}/`);
      const row = page.locator(`[data-testid="alert-row"][data-fingerprint="${fingerprint}"]`);
      await expect(row.getByRole("link", { name: `issue #${issue.number}` })).toHaveAttribute("href", htmlUrl);
      await shot(page, "alerts-with-issue");
    } finally {
      await ctx.close();
    }
  });

  test("the report shows when the progress stream ends, even if the page's first read answers 'running' after that", async ({ browser }) => {
    const ctx = await engineer(browser, ALICE);
    try {
      const page = await ctx.newPage();
      await page.goto(`${stack.url}/alerts/${fingerprint}`);
      const panel = page.getByRole("region", { name: "Analysis" });
      await expect(panel).toHaveAttribute("data-analysis-status", "done");
      const before = (await panel.getAttribute("data-analysis-id")) ?? "";
      // Reads of one analysis (not its /events stream) are answered now but delivered only after the
      // stream has ended: the first read of the new analysis then says "running", late.
      let streamEnded!: () => void;
      const ended = new Promise<void>((r) => (streamEnded = r));
      // The page closes the stream on its done event, so the request may end either way.
      const onStreamEnd = (req: { url(): string }) => {
        if (/\/api\/analyses\/[^/]+\/events$/.test(new URL(req.url()).pathname)) streamEnded();
      };
      page.on("requestfinished", onStreamEnd);
      page.on("requestfailed", onStreamEnd);
      const reads: { id: string; status: string }[] = [];
      await page.route(/\/api\/analyses\/[0-9a-f-]{36}$/, async (route) => {
        if (route.request().method() !== "GET") return route.continue();
        const response = await route.fetch();
        const body: unknown = await response.json();
        const status = body && typeof body === "object" && "status" in body ? String(body.status) : "?";
        reads.push({ id: route.request().url().split("/").pop() ?? "", status });
        await ended;
        await route.fulfill({ response }).catch(() => {}); // the page may have abandoned the stale read
      });
      stack.gemini.enqueue({ kind: "report", delayMs: 1_500 });
      await page.getByRole("button", { name: "Re-analyze" }).click();
      await expect(panel).not.toHaveAttribute("data-analysis-id", before);
      await expect(panel.getByRole("heading", { name: "Evidence by hypothesis" })).toBeVisible({ timeout: 30_000 });
      await expect(panel).toHaveAttribute("data-analysis-status", "done");
      const id = (await panel.getAttribute("data-analysis-id")) ?? "";
      // The one read of the new analysis said "running"; the report came with the stream's end, not a later poll.
      expect(reads.filter((r) => r.id === id)).toEqual([{ id, status: expect.stringMatching(/^(queued|running)$/) }]);
    } finally {
      await ctx.close();
    }
  });

  test("a page opened while Gemini is working shows the steps already done and Gemini running", async ({ browser }) => {
    // The stream opens with the newest snapshot and stored progress is written newest-wins, so a second
    // engineer opening the page mid-run sees the steps already done.
    const alice = await engineer(browser, ALICE);
    const bob = await engineer(browser, BOB);
    try {
      const a = await alice.newPage();
      await a.goto(`${stack.url}/alerts/${fingerprint}`);
      stack.gemini.enqueue({ kind: "report", delayMs: 15_000 });
      const asked = stack.gemini.requests.length;
      await a.getByRole("button", { name: "Re-analyze" }).click();
      await expect.poll(() => stack.gemini.requests.length, { message: "Gemini to be asked" }).toBe(asked + 1);
      const b = await bob.newPage();
      await b.goto(`${stack.url}/alerts/${fingerprint}`);
      const steps = b.getByRole("list", { name: "Analysis progress" });
      await expect(steps.locator('[data-step="reduce"]')).toHaveAttribute("data-status", "done", { timeout: 5_000 });
      await expect(steps.locator('[data-step="gemini"]')).toHaveAttribute("data-status", /started|progress/, { timeout: 5_000 });
    } finally {
      await alice.close();
      await bob.close();
    }
  });
});

test("without GITHUB_TOKEN the issue preview names the missing setting and still offers the markdown", async ({ browser }) => {
  test.setTimeout(180_000);
  const stack = await startStack({ github: false, env: { GITHUB_REPOSITORY: REPO }, alerts: [oomAlert()] });
  const ctx = await browser.newContext({ permissions: ["clipboard-read", "clipboard-write"] });
  try {
    const fingerprint = await fingerprintOf(stack.am, { pod: POD });
    const page = await ctx.newPage();
    await page.goto(`${stack.url}/alerts/${fingerprint}`);
    await page.getByRole("button", { name: "Analyze", exact: true }).click();
    await page.getByRole("button", { name: "File GitHub issue" }).click({ timeout: 60_000 });
    const dialog = page.getByRole("dialog", { name: "File GitHub issue" });
    await expect(dialog.getByRole("alert")).toContainText("GitHub filing is not configured: set GITHUB_TOKEN");
    await expect(dialog.getByRole("alert")).not.toContainText("GITHUB_REPOSITORY");
    await expect(dialog.getByTestId("issue-title")).toHaveText(`[PRODUCTION ALERT] ModelPodOOMKilled - ${POD}`);
    await expect(dialog.getByRole("button", { name: "File issue" })).toBeDisabled();
    await dialog.getByRole("button", { name: "Copy issue markdown" }).click();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied.startsWith(`# [PRODUCTION ALERT] ModelPodOOMKilled - ${POD}\n`)).toBe(true);
    expect(copied).toContain(CONTAINER);
    for (const s of secretValues) expect(copied).not.toContain(s);
    await shot(page, "issue-preview-not-configured");
    expect(stack.github.requests).toHaveLength(0);
  } finally {
    await ctx.close();
    await stack.stop();
  }
});
