import { expect, test, type Page } from "@playwright/test";
import { startAlertmanager, type PostableAlert, type RunningAlertmanager } from "../test/helpers/alertmanager";
import { startConsole, type RunningConsole } from "./harness";

/**
 * A filter link with a pathological regex must not hang the console: the list page reads its filter from
 * its own URL, so one link sent in chat used to block the process (health and webhook listener included).
 * Pod names are realistic, 40-50 characters: a backtracking engine needs 2^40 steps for (.|.)*x on them.
 */

const PODS = {
  vllm: "vllm-llama-3-70b-instruct-7d9f8b6c4d-h2k9p",
  triton: "triton-bert-large-uncased-5c6d7e8f9a-q8w7x",
  embed: "embedding-all-minilm-l6-v2-6b7c8d9e0f-abcde",
};
const alerts: PostableAlert[] = Object.values(PODS).map((pod) => ({
  labels: { alertname: "ModelPodOOMKilled", severity: "critical", namespace: "ml-serving", pod },
  annotations: { summary: `${pod} was OOMKilled` },
}));

// Generous: health answers in milliseconds; a blocked event loop never answers.
const HEALTH_TIMEOUT_MS = 5_000;

let am: RunningAlertmanager;
let app: RunningConsole;

test.beforeAll(async () => {
  am = await startAlertmanager();
  await am.postAlerts(alerts);
  await am.waitForAlerts(alerts.length);
  app = await startConsole({ ALERTMANAGER_URL: `redos=${am.url}` });
});

test.afterAll(async () => {
  await app?.stop();
  await am?.stop();
});

async function healthAnswers(): Promise<void> {
  const started = Date.now();
  const res = await fetch(`${app.url}/api/health`, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) }).catch((e: unknown) => {
    throw new Error(`/api/health did not answer within ${HEALTH_TIMEOUT_MS} ms while the filtered list loaded (${String(e)})\n${app.output().slice(-2000)}`);
  });
  expect(res.status, `/api/health after ${Date.now() - started} ms`).toBe(200);
}

/** Open the list with this filter and, once the page has asked for the alerts, check health answers meanwhile. */
async function openFilterLink(page: Page, filter: string): Promise<void> {
  const asked = page.waitForRequest((r) => r.url().includes("/api/alerts?"));
  const answered = page.waitForResponse((r) => r.url().includes("/api/alerts?"), { timeout: 30_000 });
  await page.goto(`${app.url}/?filter=${encodeURIComponent(filter)}`, { waitUntil: "commit" });
  await asked;
  for (let i = 0; i < 3; i++) await healthAnswers();
  await answered;
  await healthAnswers();
}

test("a pathological regex link shows its result while health keeps answering", async ({ page }) => {
  // Alertmanager returns the pods not ending in x; the console then tests each against the regex itself.
  await openFilterLink(page, 'pod!~"(.|.)*x"');
  await expect(page.getByTestId("alert-row")).toHaveCount(2);
  await expect(page.getByTestId("alert-row").filter({ hasText: PODS.vllm })).toHaveCount(1);
  await expect(page.getByTestId("alert-row").filter({ hasText: PODS.embed })).toHaveCount(1);

  await openFilterLink(page, 'pod=~"(.|.)*x"');
  await expect(page.getByTestId("alert-row")).toHaveCount(1);
  await expect(page.getByTestId("alert-row")).toContainText(PODS.triton);

  await openFilterLink(page, 'pod!~"([a-z0-9]|\\\\w|-)*q8w7x", pod=~"(?i)(VLLM|EMBEDDING)-(\\\\w|\\\\d|-)+"');
  await expect(page.getByTestId("alert-row")).toHaveCount(2);
  await expect(page.getByRole("combobox", { name: /^Filter \(/ })).toHaveValue('pod!~"([a-z0-9]|\\\\w|-)*q8w7x", pod=~"(?i)(VLLM|EMBEDDING)-(\\\\w|\\\\d|-)+"');
});

test("a regex RE2 cannot run is named with what is wrong", async ({ page }) => {
  await openFilterLink(page, 'pod=~"(?=vllm)(.|.)*p"');
  await expect(page.locator("#alert-filter-error")).toContainText('Invalid matcher "pod=~"(?=vllm)(.|.)*p"": not a valid RE2 regex (invalid or unsupported Perl syntax: `(?=`)');
  await expect(page.locator("#alert-filter-error")).toContainText("no backreferences");
  await expect(page.getByTestId("alert-row")).toHaveCount(0);
});
