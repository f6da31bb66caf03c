import { expect, test, type Page } from "@playwright/test";
import { z } from "zod";
import { deadPort } from "../test/helpers/alertmanager";
import { startConsole } from "./harness";
import { e2eAlerts, e2eState, silencedPod } from "./fixtures";

const shot = (page: Page, name: string) => page.screenshot({ path: `e2e/screenshots/${name}.png`, fullPage: true });

test.describe("alert list against a real Alertmanager", () => {
  test("renders every alert, grouped by alertname with counts, severity and state", async ({ page }) => {
    const { baseUrl } = e2eState();
    await page.goto(`${baseUrl}/`);
    const groups = page.getByTestId("alert-group");
    await expect(groups).toHaveCount(5);
    await expect(page.getByTestId("alert-row")).toHaveCount(e2eAlerts.length);
    // critical groups first
    await expect(groups.first()).toHaveAttribute("data-group", /ModelPodOOMKilled|ModelPodNotRunning/);
    const oom = page.locator('[data-testid="alert-group"][data-group="ModelPodOOMKilled"]');
    await expect(oom.getByTestId("group-count")).toHaveText("2");
    await expect(oom.getByTestId("alert-row").first()).toContainText(/firing for 1[12]m/);
    const silenced = page.locator('[data-testid="alert-row"]', { hasText: silencedPod });
    await expect(silenced).toContainText("silenced");
    await expect(page.getByTestId("alert-total")).toContainText("6 alerts in 5 groups (5 active, 1 suppressed)");
    await shot(page, "alerts-by-alertname");
  });

  test("switches grouping and keeps it in the URL", async ({ page }) => {
    const { baseUrl } = e2eState();
    await page.goto(`${baseUrl}/`);
    await expect(page.getByTestId("alert-group")).toHaveCount(5);
    await page.getByLabel("Group by").selectOption("namespace");
    await expect(page).toHaveURL(/[?&]group=namespace/);
    const titles = page.getByTestId("alert-group");
    await expect(titles).toHaveCount(3);
    await expect(page.locator('[data-testid="alert-group"][data-group="ml-serving"] [data-testid="group-count"]')).toHaveText("3");
    await shot(page, "alerts-by-namespace");
    await page.reload();
    await expect(page.getByLabel("Group by")).toHaveValue("namespace");
    await expect(page.getByTestId("alert-group")).toHaveCount(3);
    await page.goto(`${baseUrl}/?group=cluster`);
    await expect(page.locator("[data-testid=alert-group]")).toHaveCount(2);
  });

  test("filters through the URL and the filter box, and names a bad matcher", async ({ page }) => {
    const { baseUrl } = e2eState();
    await page.goto(`${baseUrl}/?filter=${encodeURIComponent('severity="critical"')}`);
    await expect(page.getByTestId("alert-row")).toHaveCount(3);
    await expect(page.getByRole("combobox", { name: /^Filter \(/ })).toHaveValue('severity="critical"');

    await page.getByRole("combobox", { name: /^Filter \(/ }).fill('namespace=~"ml-exp.*", cluster!="dev"');
    await page.getByRole("button", { name: "Filter", exact: true }).click();
    await expect(page).toHaveURL(/filter=namespace%3D%7E%22ml-exp/);
    await expect(page.getByTestId("alert-row")).toHaveCount(1);
    await expect(page.getByTestId("alert-row")).toContainText("tuner-3");

    await page.getByRole("combobox", { name: /^Filter \(/ }).fill('namespace=~"ml-("');
    await page.getByRole("button", { name: "Filter", exact: true }).click();
    await expect(page.locator("#alert-filter-error")).toContainText('Invalid matcher "namespace=~"ml-(""');
    await shot(page, "alerts-bad-filter");

    await page.goto(`${baseUrl}/?filter=${encodeURIComponent('pod="nope"')}`);
    await expect(page.getByTestId("empty-state")).toContainText('No alerts match pod="nope"');
  });

  test("links each alert to its detail page, and to itself and its silence in Alertmanager's UI", async ({ page }) => {
    const { baseUrl, alertmanagerUrl } = e2eState();
    // Alertmanager's UI reads the filter as {name="json string", ...} (ui/app/src/Utils/Filter.elm).
    const inAlertmanager = `${alertmanagerUrl}/#/alerts?silenced=true&inhibited=true&active=true&filter=${encodeURIComponent(
      '{alertname="ModelHighCPUUsage", cluster="prod", namespace="ml-experiments", pod="tuner-3", severity="warning"}',
    )}`;
    await page.goto(`${baseUrl}/?filter=${encodeURIComponent('pod="tuner-3"')}`);
    const row = page.getByTestId("alert-row").filter({ hasText: "tuner-3" });
    await expect(row.getByRole("link", { name: "Alertmanager", exact: true })).toHaveAttribute("href", inAlertmanager);
    await page.getByRole("link", { name: "ml-experiments/tuner-3" }).click();
    await expect(page).toHaveURL(/\/alerts\/[0-9a-f]{16}$/);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("ModelHighCPUUsage");
    await expect(page.getByTestId("alert-labels")).toContainText("ml-experiments");
    await expect(page.getByTestId("alert-annotations")).toContainText("tuner-3 CPU at 97% of its limit");
    await expect(page.getByRole("link", { name: "in Alertmanager ↗", exact: true })).toHaveAttribute("href", inAlertmanager);
    await shot(page, "alert-detail");

    const silenceSchema = z.object({ id: z.string(), status: z.object({ state: z.string() }), matchers: z.array(z.object({ name: z.string(), value: z.string() })) });
    const silences = z.array(silenceSchema).parse(await (await fetch(`${alertmanagerUrl}/api/v2/silences`)).json());
    const silenceId = silences.find((s) => s.status.state === "active" && s.matchers.some((m) => m.name === "pod" && m.value === silencedPod))?.id;
    expect(silenceId).toBeTruthy();
    await page.goto(`${baseUrl}/?filter=${encodeURIComponent(`pod="${silencedPod}"`)}`);
    await expect(page.getByRole("link", { name: "silence in Alertmanager ↗" })).toHaveAttribute("href", `${alertmanagerUrl}/#/silences/${silenceId}`);
  });

  test("holds live updates while the pointer is on the list", async ({ page }) => {
    const { baseUrl, alertmanagerUrl } = e2eState();
    await page.goto(`${baseUrl}/?filter=${encodeURIComponent('namespace="ml-hold"')}`);
    await expect(page.getByTestId("empty-state")).toBeVisible();
    const post = (pod: string) =>
      fetch(`${alertmanagerUrl}/api/v2/alerts`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify([{ labels: { alertname: "ModelHighCPUUsage", severity: "warning", namespace: "ml-hold", pod } }]),
      });
    await post("hold-a");
    await expect(page.getByTestId("alert-row")).toHaveCount(1, { timeout: 25_000 });

    await page.getByTestId("alert-row").hover();
    await post("hold-b");
    await expect(page.getByTestId("apply-updates")).toHaveText("1 update — apply", { timeout: 25_000 });
    await expect(page.getByTestId("alert-row")).toHaveCount(1);
    await shot(page, "alerts-held-update");
    await page.getByTestId("apply-updates").click();
    await expect(page.getByTestId("alert-row")).toHaveCount(2);
  });
});

test("names a failing Alertmanager while the other's alerts still show", async ({ page }) => {
  const { alertmanagerUrl } = e2eState();
  const dead = `http://127.0.0.1:${await deadPort()}`;
  const app = await startConsole({ ALERTMANAGER_URL: `backup=${dead},e2e=${alertmanagerUrl}` });
  try {
    await page.goto(`${app.url}/`);
    const err = page.getByTestId("source-errors");
    await expect(err).toContainText(`Alertmanager backup at ${dead} refused the connection`);
    await expect(err).toContainText("Check ALERTMANAGER_URL and that it is running");
    await expect(page.getByTestId("alert-row").first()).toBeVisible();
    await shot(page, "alerts-source-down");
  } finally {
    await app.stop();
  }
});

test("the demo console is labelled and shows its incidents", async ({ page }) => {
  const app = await startConsole({ DEMO: "1" });
  try {
    await page.goto(`${app.url}/`);
    await expect(page.getByTestId("demo-badge")).toHaveText("Demo");
    for (const rule of ["ModelPodNotRunning", "ModelPodFrequentRestarts", "ModelPodOOMKilled", "ModelHighCPUUsage", "ModelHighMemoryUsage"]) {
      await expect(page.locator(`[data-testid="alert-group"][data-group="${rule}"]`)).toBeVisible();
    }
    await shot(page, "alerts-demo");
  } finally {
    await app.stop();
  }
});
