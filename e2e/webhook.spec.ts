import { expect, test, type Page } from "@playwright/test";
import { z } from "zod";
import { NS, POD, REPO, WEBHOOK_TOKEN, eventually, fingerprintOf, getJson, listAnalyses, oomAlert, startStack, type Stack } from "./stack";

/**
 * Issue 6 item 6: a real Alertmanager notifies the running console; the console analyzes against the
 * fake cluster and fake Gemini and files (or comments on) the incident in the fake GitHub. Then the
 * endpoint itself, from the test process: redelivery, a 1,000-alert payload, and bad requests.
 * The webhook answers 202 at once; analyses appear moments later, so every check waits for outcomes.
 */

const shot = (page: Page, name: string) => page.screenshot({ path: `e2e/screenshots/${name}.png`, fullPage: true });
const jobsSchema = z.object({ counts: z.object({ queued: z.number(), running: z.number(), done: z.number(), failed: z.number() }) });

test.describe.serial("Alertmanager webhook to GitHub issue", () => {
  test.setTimeout(180_000);
  let stack: Stack;
  let fingerprint: string;
  const firstStart = new Date(Date.now() - 5 * 60_000).toISOString();

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    stack = await startStack({ webhook: true, env: { AUTO_FILE_SEVERITIES: "critical", ANALYSIS_COOLDOWN_SECONDS: "0" } });
  });
  test.afterAll(async () => {
    await stack?.stop();
  });

  test("a firing critical alert is analyzed and filed as one issue, shown on the alert page", async ({ page }) => {
    await stack.am.postAlerts([oomAlert({ startsAt: firstStart })]);
    fingerprint = await eventually(() => fingerprintOf(stack.am, { pod: POD }).catch(() => undefined), "Alertmanager to hold the alert");
    const issue = await eventually(async () => stack.github.issues(REPO)[0], "the fake GitHub to get an issue");
    expect(issue.title).toBe(`[PRODUCTION ALERT] ModelPodOOMKilled - ${POD}`);
    expect(issue.labels).toEqual(expect.arrayContaining(["production-alert", "ai-analysis", "critical"]));
    const analysis = await eventually(async () => {
      const all = await listAnalyses(stack.url, { fingerprint });
      return all.length === 1 && all[0]?.status === "done" && all[0].issueNumber ? all[0] : undefined;
    }, "the analysis to be done and filed");
    expect(analysis.trigger).toBe("webhook");
    expect(analysis.source).toBe("gemini");
    expect(analysis.issueNumber).toBe(issue.number);
    expect(analysis.issueAction).toBe("created");
    expect(stack.github.issues(REPO)).toHaveLength(1);

    await page.goto(`${stack.url}/alerts/${fingerprint}`);
    await expect(page.getByRole("heading", { name: "Evidence by hypothesis" })).toBeVisible();
    await expect(page.getByRole("link", { name: `Issue #${issue.number}` })).toHaveAttribute("href", `https://github.com/${REPO}/issues/${issue.number}`);
    await expect(page.getByText("started by alertmanager (webhook)")).toBeVisible();
    await shot(page, "webhook-alert-page");
  });

  test("resolution comments 'resolved at' on the issue", async () => {
    await stack.am.postAlerts([oomAlert({ startsAt: firstStart, endsAt: new Date(Date.now() - 1000).toISOString() })]);
    const comment = await eventually(async () => stack.github.comments(REPO, 1).find((c) => /resolved at/i.test(c.body)), "the resolved comment");
    expect(comment.body).toContain(fingerprint);
    await eventually(async () => (await listAnalyses(stack.url, { fingerprint }))[0]?.resolvedAt, "the analysis to be marked resolved");
    expect(stack.github.issues(REPO)).toHaveLength(1);
  });

  test("a new firing episode is analyzed again and comments on the same issue", async ({ page }) => {
    await stack.am.postAlerts([oomAlert({ startsAt: new Date().toISOString() })]);
    const second = await eventually(async () => {
      const all = await listAnalyses(stack.url, { fingerprint });
      const newest = all.find((a) => !a.resolvedAt);
      return all.length === 2 && newest?.status === "done" && newest.issueAction ? newest : undefined;
    }, "a second analysis that files");
    expect(second.issueAction).toBe("commented");
    expect(second.issueNumber).toBe(1);
    expect(stack.github.issues(REPO)).toHaveLength(1);
    const comments = stack.github.comments(REPO, 1);
    expect(comments).toHaveLength(2);
    expect(comments.filter((c) => !/resolved at/i.test(c.body))).toHaveLength(1);

    await page.goto(`${stack.url}/`);
    const row = page.locator(`[data-testid="alert-row"][data-fingerprint="${fingerprint}"]`);
    await expect(row.getByRole("link", { name: "issue #1" })).toBeVisible();
    await expect(row.getByTestId("alert-analysis")).toContainText("analysis: done");
  });
});

test.describe.serial("the webhook endpoint", () => {
  test.setTimeout(180_000);
  let stack: Stack;
  let hook: string;
  const auth = { authorization: `Bearer ${WEBHOOK_TOKEN}`, "content-type": "application/json" };

  function payload(alerts: Array<{ fingerprint: string; labels: Record<string, string>; startsAt?: string }>) {
    return {
      receiver: "triage-bot",
      status: "firing",
      alerts: alerts.map((a) => ({
        status: "firing",
        labels: a.labels,
        annotations: { summary: "e2e" },
        startsAt: a.startsAt ?? "2026-11-20T09:58:03.157Z",
        endsAt: "0001-01-01T00:00:00Z",
        generatorURL: "http://prometheus:9090/graph",
        fingerprint: a.fingerprint,
      })),
      groupLabels: {},
      commonLabels: {},
      commonAnnotations: {},
      externalURL: "http://alertmanager:9093",
      version: "4",
      groupKey: "{}:{}",
      truncatedAlerts: 0,
    };
  }
  const post = (body: string | ReadableStream<Uint8Array>, headers: Record<string, string> = auth) =>
    fetch(hook, { method: "POST", headers, body, signal: AbortSignal.timeout(60_000), ...(typeof body === "string" ? {} : { duplex: "half" }) });

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    // Analyze everything, file nothing; the fake model answers at once.
    stack = await startStack({ env: { AUTO_FILE_SEVERITIES: "none", ANALYSIS_COOLDOWN_SECONDS: "0", GEMINI_CONCURRENCY: "4" } });
    hook = `${stack.url}/api/webhooks/alertmanager`;
  });
  test.afterAll(async () => {
    await stack?.stop();
  });

  test("the same payload delivered twice yields one analysis", async () => {
    const body = JSON.stringify(payload([{ fingerprint: "e2e0dup0000000001", labels: { alertname: "ModelPodOOMKilled", severity: "critical", namespace: NS, pod: POD } }]));
    for (let i = 0; i < 2; i++) {
      const res = await post(body);
      expect(res.status).toBe(202);
      expect(await res.json()).toMatchObject({ status: "accepted" });
    }
    const [done] = await eventually(async () => {
      const all = await listAnalyses(stack.url, { fingerprint: "e2e0dup0000000001" });
      return all.length > 0 && all.every((a) => a.status === "done") ? all : undefined;
    }, "the analysis to finish");
    await eventually(async () => {
      const { counts } = await getJson(stack.url, "/api/jobs", jobsSchema);
      return counts.queued === 0 && counts.running === 0;
    }, "the job queue to drain");
    const all = await listAnalyses(stack.url, { fingerprint: "e2e0dup0000000001" });
    expect(all.map((a) => a.id)).toEqual([done?.id]);
    expect(stack.github.requests).toHaveLength(0);
  });

  test("a 1,000-alert payload is accepted and becomes 1,000 analyses", async () => {
    const alerts = Array.from({ length: 1000 }, (_, i) => ({
      fingerprint: `e2estorm${String(i).padStart(8, "0")}`,
      labels: { alertname: "E2EStorm", severity: "warning", namespace: "storm", pod: `model-${i}` },
    }));
    const body = JSON.stringify(payload(alerts));
    expect(body.length).toBeLessThan(1024 * 1024);
    const res = await post(body);
    expect(res.status).toBe(202);
    const all = await eventually(async () => {
      const list = await listAnalyses(stack.url, { alertname: "E2EStorm", since: "2000-01-01T00:00:00Z" });
      return list.length >= 1000 ? list : undefined;
    }, "1,000 analyses to exist", 120_000);
    expect(all).toHaveLength(1000);
    expect(new Set(all.map((a) => a.fingerprint))).toEqual(new Set(alerts.map((a) => a.fingerprint)));
    for (const a of all) expect(["queued", "running", "done", "failed"]).toContain(a.status);
  });

  test("bad requests get the 4xx that says what is wrong", async () => {
    const malformed = await post("{not json");
    expect(malformed.status).toBe(400);

    const big = JSON.stringify(payload([{ fingerprint: "e2ebig", labels: { alertname: "X", namespace: NS, pod: POD, blob: "x".repeat(1024 * 1024) } }]));
    expect((await post(big)).status).toBe(413);
    // Without a Content-Length the limit still holds while the body streams in.
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent === 0) c.enqueue(new TextEncoder().encode('{"version":"4","status":"firing","alerts":[],"pad":"'));
        if (sent++ < 20) c.enqueue(chunk);
        else {
          c.enqueue(new TextEncoder().encode('"}'));
          c.close();
        }
      },
    });
    expect((await post(stream)).status).toBe(413);

    const wrong = payload([{ fingerprint: "e2ewrong", labels: { alertname: "X", namespace: NS, pod: POD }, startsAt: "yesterday" }]);
    // One bad alert is refused alone: the notification is taken (Alertmanager never resends a 4xx) and says why.
    const shaped = await post(JSON.stringify(wrong));
    expect(shaped.status).toBe(202);
    expect(await shaped.json()).toMatchObject({ rejected: 1, rejections: [{ index: 0, fingerprint: "e2ewrong", reason: expect.stringContaining("startsAt") }] });
    const noAlerts = await post(JSON.stringify({ version: "4", status: "firing" }));
    expect(noAlerts.status).toBe(422);
    expect(JSON.stringify(await noAlerts.json())).toContain("alerts");

    const ok = JSON.stringify(payload([{ fingerprint: "e2eauth", labels: { alertname: "X", namespace: NS, pod: POD } }]));
    expect((await post(ok, { "content-type": "application/json" })).status).toBe(401);
    expect((await post(ok, { ...auth, authorization: "Bearer wrong-token" })).status).toBe(401);
    expect((await post(ok, { ...auth, authorization: `Basic ${Buffer.from(`am:${WEBHOOK_TOKEN}`).toString("base64")}` })).status).toBe(401);
    expect(await listAnalyses(stack.url, { fingerprint: "e2eauth" })).toHaveLength(0);
    expect(await listAnalyses(stack.url, { fingerprint: "e2ewrong" })).toHaveLength(0);
  });
});
