import { expect, test, type Page, type Response } from "@playwright/test";
import { CONTAINER, NS, fingerprintOf, getAnalysis, listAnalyses, podLike, startBeacon, startStack, type Stack } from "./stack";

/**
 * Issues 4 and 8: hostile text planted in alert labels and annotations (Alertmanager), in the pod's log
 * lines and events (fake Kubernetes) and in the model's answer (fake Gemini) stays inert on every page:
 * no dialog, no request to the beacon, no javascript: link, no planted element, and the text is shown
 * literally. Every page carries a CSP with a per-request nonce that the page's own scripts use.
 */

const XSS_POD = "xss-demo-0";
const shot = (page: Page, name: string) => page.screenshot({ path: `e2e/screenshots/${name}.png`, fullPage: true });

test.describe.serial("planted markup stays inert", () => {
  test.setTimeout(180_000);
  let stack: Stack;
  let beacon: Awaited<ReturnType<typeof startBeacon>>;
  let fingerprint: string;
  let plants: { script: string; img: string; jsLink: string; remoteImg: string; iframe: string; rawImg: string };
  let planted: string;
  const dialogs: string[] = [];

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    beacon = await startBeacon();
    plants = {
      script: "<script>alert(1)</script>",
      img: "<img src=x onerror=alert(2)>",
      jsLink: "[click](javascript:alert(3))",
      remoteImg: `![b](${beacon.url}/beacon.png)`,
      iframe: `<iframe src="${beacon.url}/frame.html"></iframe>`,
      rawImg: `<img src="${beacon.url}/raw.png">`,
    };
    planted = Object.values(plants).join(" ");
    const logLines = [
      "INFO 11-20 09:41:02 [api_server.py:1024] vLLM API server version 0.6.3",
      ...Object.values(plants).map((p) => `ERROR 11-20 09:41:03 [serving.py:77] request failed: ${p}`),
      "Killed",
    ];
    const logs = logLines.join("\n");
    const pod = podLike(XSS_POD, { current: logs, previous: logs });
    stack = await startStack({
      alerts: [
        {
          labels: { alertname: "ModelPodOOMKilled", severity: "critical", namespace: NS, pod: XSS_POD, container: CONTAINER, team: planted },
          annotations: { summary: `OOMKilled ${plants.script} ${plants.img}`, description: planted, runbook_url: "javascript:alert(4)" },
          startsAt: new Date(Date.now() - 60_000).toISOString(),
        },
      ],
      extraPods: [pod],
    });
    stack.kube.state.events.push({
      metadata: { name: `${XSS_POD}.1`, namespace: NS, creationTimestamp: new Date().toISOString() },
      involvedObject: { kind: "Pod", namespace: NS, name: XSS_POD, fieldPath: `spec.containers{${CONTAINER}}` },
      reason: "Unhealthy",
      message: `Liveness probe failed: ${planted}`,
      type: "Warning",
      count: 2,
      lastTimestamp: new Date().toISOString(),
    });
    fingerprint = await fingerprintOf(stack.am, { pod: XSS_POD });
    // The model echoes the markup back everywhere it can, quoting a planted log line as evidence.
    stack.gemini.enqueue({
      kind: "report",
      build: () => ({
        summary: `Summary ${planted}`,
        hypotheses: [
          {
            title: `Hostile input ${plants.script}`,
            category: "app_crash",
            likelihood: "high",
            explanation: `Explanation ${planted}`,
            evidence: [{ source: "logs", line: 2, text: `request failed: ${plants.script}` }],
          },
          { title: `Second ${plants.img}`, category: "oom_killed", likelihood: "medium", explanation: planted, evidence: [{ source: "logs", text: plants.jsLink }] },
        ],
        impact: `Impact ${planted}`,
        immediateActions: [{ step: `Step ${planted}`, command: `kubectl -n ${NS} logs ${XSS_POD} # ${plants.script}` }],
        prevention: [`Prevent ${planted}`],
        insufficientEvidence: false,
      }),
    });
  });

  test.afterAll(async () => {
    await stack?.stop();
    await beacon?.close();
  });

  test.beforeEach(({ page }) => {
    page.on("dialog", (d) => {
      dialogs.push(`${d.type()}: ${d.message()}`);
      void d.dismiss();
    });
  });

  test.afterEach(() => {
    expect(dialogs, "a planted script ran and opened a dialog").toEqual([]);
    expect(beacon.hits, "a planted image or frame reached the beacon").toEqual([]);
  });

  /** Nothing planted became live DOM: no javascript: link, no frame, no inline handler, no remote image, no planted script. */
  async function expectInert(page: Page) {
    const found = await page.evaluate((beaconUrl) => {
      const all = [...document.querySelectorAll("*")];
      return {
        jsLinks: [...document.querySelectorAll("a")].filter((a) => a.protocol === "javascript:" || /^\s*javascript:/i.test(a.getAttribute("href") ?? "")).length,
        frames: document.querySelectorAll("iframe, frame, object, embed").length,
        handlers: all.flatMap((el) => [...el.attributes].filter((at) => /^on/i.test(at.name)).map((at) => `${el.tagName}[${at.name}]`)),
        remoteImages: [...document.querySelectorAll("img, image, source, video, audio")].filter((el) => (el.getAttribute("src") ?? "").includes(beaconUrl) || el.getAttribute("src") === "x").length,
        plantedScripts: [...document.scripts].filter((s) => /alert\(\d\)/.test(s.textContent ?? "") && !(s.textContent ?? "").includes("self.__next_f")).length,
      };
    }, beacon.url);
    expect(found).toEqual({ jsLinks: 0, frames: 0, handlers: [], remoteImages: 0, plantedScripts: 0 });
  }

  /** The CSP header carries a fresh nonce and every script on the page was allowed by it. */
  async function expectCsp(page: Page, res: Response | null) {
    const csp = res?.headers()["content-security-policy"] ?? "";
    const nonce = /script-src 'self' 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    expect(nonce, `CSP header: ${csp}`).toBeTruthy();
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    const nonces = await page.evaluate(() => [...document.scripts].map((s) => s.nonce));
    expect(nonces.length).toBeGreaterThan(0);
    expect(new Set(nonces)).toEqual(new Set([nonce]));
    return nonce;
  }

  test("the alert list shows planted labels and annotations as text", async ({ page }) => {
    const res = await page.goto(`${stack.url}/`);
    const first = await expectCsp(page, res);
    const row = page.locator(`[data-testid="alert-row"][data-fingerprint="${fingerprint}"]`);
    await expect(row).toContainText(`OOMKilled ${plants.script} ${plants.img}`);
    await expect(row.getByRole("list", { name: "labels" })).toContainText(plants.iframe);
    await expectInert(page);
    const again = await page.reload();
    expect(await expectCsp(page, again)).not.toBe(first);
    await shot(page, "inert-list");
  });

  test("the alert page shows them literally and runs Analyze over planted logs and model output", async ({ page }) => {
    const res = await page.goto(`${stack.url}/alerts/${fingerprint}`);
    await expectCsp(page, res);
    await expect(page.getByTestId("alert-labels")).toContainText(planted);
    await expect(page.getByTestId("alert-annotations")).toContainText(planted);
    await expect(page.getByTestId("alert-annotations")).toContainText("javascript:alert(4)");
    await expectInert(page);

    await page.getByRole("button", { name: "Analyze", exact: true }).click();
    const evidence = page.getByRole("region", { name: "Evidence" });
    await expect(evidence).toBeVisible({ timeout: 60_000 });
    const [a] = await listAnalyses(stack.url, { fingerprint });
    const analysis = await getAnalysis(stack.url, a?.id ?? "?");
    expect(analysis.report?.source, analysis.report?.offlineReason).toBe("gemini");

    await expect(evidence).toContainText(`Hostile input ${plants.script}`);
    await expect(evidence).toContainText(`request failed: ${plants.script}`);
    const article = page.locator("article");
    for (const p of Object.values(plants)) await expect(article).toContainText(p);
    await expect(article).toContainText(`Summary ${planted}`);

    const log = page.getByRole("log", { name: "Logs" });
    for (const p of Object.values(plants)) await expect(log).toContainText(p);
    await evidence.getByRole("button", { name: "logs:2" }).click();
    await expect(log.locator('[data-line="2"]')).toHaveAttribute("data-evidence", "true");
    await page.getByRole("tab", { name: /^Events/ }).click();
    await expect(page.getByRole("tabpanel")).toContainText(`Liveness probe failed: ${planted}`);
    await page.getByRole("tab", { name: "Previous logs" }).click();
    await expect(page.getByRole("log", { name: "Previous logs" })).toContainText(plants.iframe);
    await expectInert(page);
    await shot(page, "inert-analysis");

    await page.getByRole("button", { name: "File GitHub issue" }).click();
    const dialog = page.getByRole("dialog", { name: "File GitHub issue" });
    await expect(dialog.getByTestId("issue-title")).toHaveText(`[PRODUCTION ALERT] ModelPodOOMKilled - ${XSS_POD}`);
    // The preview renders the body as GitHub does: planted tags stay text, and a bare URL becomes a link
    // (GFM autolink), so the iframe's text is compared up to its URL.
    for (const p of [plants.script, plants.img, plants.jsLink, plants.remoteImg]) await expect(dialog).toContainText(p);
    await expect(dialog).toContainText(`<iframe src="${beacon.url}/frame.html`);
    await expect(dialog.locator("script, iframe, img, object, embed, form")).toHaveCount(0);
    await expect(dialog.locator('a[href^="javascript:"], a[href^="data:"]')).toHaveCount(0);
    await expectInert(page);
    await shot(page, "inert-issue-preview");
  });

  test("history and the analysis page stay inert", async ({ page }) => {
    const res = await page.goto(`${stack.url}/analyses`);
    await expectCsp(page, res);
    const row = page.locator("tbody tr").first();
    await expect(row).toContainText(`Hostile input ${plants.script}`);
    await expectInert(page);
    await row.getByRole("link").first().click();
    await expect(page.getByRole("region", { name: "Evidence" })).toContainText(plants.script);
    await expectInert(page);
  });
});
