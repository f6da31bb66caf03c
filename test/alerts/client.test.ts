import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAlertmanagerSource } from "@/lib/alerts/client";
import { createMultiSource } from "@/lib/alerts/merge";
import { deadPort, startAlertmanager, waitForSuppressed, type PostableAlert, type RunningAlertmanager } from "@/test/helpers/alertmanager";

const alerts: PostableAlert[] = [
  {
    labels: { alertname: "ModelPodOOMKilled", namespace: "ml-serving", pod: "bert-0", severity: "critical", cluster: "prod" },
    annotations: { summary: "bert-0 was OOMKilled", runbook_url: "https://runbooks/oom" },
    generatorURL: "http://prometheus:9090/graph?g0.expr=x",
  },
  { labels: { alertname: "ModelHighCPUUsage", namespace: "ml-batch", pod: "etl-1", severity: "warning" }, annotations: { summary: "cpu" } },
  { labels: { alertname: "ModelPodFrequentRestarts", namespace: "ml-serving", pod: "gpt-2", severity: "warning" } },
];

let am1: RunningAlertmanager;
let am2: RunningAlertmanager;

beforeAll(async () => {
  [am1, am2] = await Promise.all([startAlertmanager(), startAlertmanager()]);
  await Promise.all([am1.postAlerts(alerts), am2.postAlerts(alerts)]);
  await Promise.all([am1.waitForAlerts(3), am2.waitForAlerts(3)]);
  await am1.createSilence([{ name: "alertname", value: "ModelPodFrequentRestarts" }], { comment: "known" });
  await waitForSuppressed(am1, "alertname", "ModelPodFrequentRestarts");
});

afterAll(async () => {
  await Promise.all([am1?.stop(), am2?.stop()]);
});

describe("Alertmanager client against the real binary", () => {
  it("lists alerts normalised to the console's Alert", async () => {
    const src = createAlertmanagerSource({ name: "prod", url: am1.url }, { timeoutMs: 5000 });
    const r = await src.listAlerts();
    expect(r.errors).toEqual([]);
    expect(r.alerts).toHaveLength(3);
    const oom = r.alerts.find((a) => a.labels.alertname === "ModelPodOOMKilled");
    expect(oom).toMatchObject({
      labels: alerts[0]?.labels,
      annotations: alerts[0]?.annotations,
      state: "active",
      generatorURL: "http://prometheus:9090/graph?g0.expr=x",
      receivers: ["blackhole"],
      silencedBy: [],
      inhibitedBy: [],
      source: "prod",
      sources: ["prod"],
    });
    expect(oom?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(Number.isNaN(Date.parse(oom?.startsAt ?? ""))).toBe(false);
  });

  it("reports a silenced alert as suppressed with the silence id", async () => {
    const r = await createAlertmanagerSource({ name: "prod", url: am1.url }, { timeoutMs: 5000 }).listAlerts();
    const restarts = r.alerts.find((a) => a.labels.alertname === "ModelPodFrequentRestarts");
    expect(restarts?.state).toBe("suppressed");
    expect(restarts?.silencedBy).toHaveLength(1);
  });

  it("passes matchers to Alertmanager as filter parameters", async () => {
    const src = createAlertmanagerSource({ name: "prod", url: am1.url }, { timeoutMs: 5000 });
    const r = await src.listAlerts({ filter: ['namespace=~"ml-s.*"', 'severity!="critical"'] });
    expect(r.errors).toEqual([]);
    expect(r.alerts.map((a) => a.labels.pod)).toEqual(["gpt-2"]);
    const both = await src.listAlerts({ filter: ['{severity="warning", namespace="ml-batch"}'] });
    expect(both.alerts.map((a) => a.labels.pod)).toEqual(["etl-1"]);
  });

  it("lists alert groups", async () => {
    const src = createAlertmanagerSource({ name: "prod", url: am1.url }, { timeoutMs: 5000 });
    const r = await src.listAlertGroups();
    expect(r.errors).toEqual([]);
    expect(r.groups.map((g) => g.labels.alertname).sort()).toEqual(["ModelHighCPUUsage", "ModelPodFrequentRestarts", "ModelPodOOMKilled"]);
    expect(r.groups.every((g) => g.receiver === "blackhole" && g.alerts.length === 1)).toBe(true);
  });

  it("deduplicates an HA pair by fingerprint: one alert, both sources, active if either says so", async () => {
    const multi = createMultiSource([
      createAlertmanagerSource({ name: "am-a", url: am1.url }, { timeoutMs: 5000 }),
      createAlertmanagerSource({ name: "am-b", url: am2.url }, { timeoutMs: 5000 }),
    ]);
    const r = await multi.listAlerts();
    expect(r.errors).toEqual([]);
    expect(r.alerts).toHaveLength(3);
    for (const a of r.alerts) expect(a.sources.sort()).toEqual(["am-a", "am-b"]);
    // Silenced only on am-a: am-b still has it active, so the merged alert is active.
    expect(r.alerts.find((a) => a.labels.alertname === "ModelPodFrequentRestarts")?.state).toBe("active");
  });

  it("returns the other source's alerts and a clear error when one Alertmanager refuses the connection", async () => {
    const dead = `http://127.0.0.1:${await deadPort()}`;
    const multi = createMultiSource([
      createAlertmanagerSource({ name: "down", url: dead }, { timeoutMs: 5000 }),
      createAlertmanagerSource({ name: "prod", url: am1.url }, { timeoutMs: 5000 }),
    ]);
    const r = await multi.listAlerts();
    expect(r.alerts).toHaveLength(3);
    expect(r.alerts.every((a) => a.sources.join() === "prod")).toBe(true);
    expect(r.errors).toEqual([
      { source: "down", message: `Alertmanager down at ${dead} refused the connection`, hint: "Check ALERTMANAGER_URL and that it is running" },
    ]);
  });

  // Go's regexp reads (?<name>...) since Go 1.22 (as re2js does); Alertmanager 0.25 was built with an older Go.
  it("reports Alertmanager's own 400 message for a regex its Go version refuses", async () => {
    const src = createAlertmanagerSource({ name: "prod", url: am1.url }, { timeoutMs: 5000 });
    const r = await src.listAlerts({ filter: ['pod=~"(?<name>bert)-0"'] });
    expect(r.alerts).toEqual([]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]?.message).toMatch(new RegExp(`^Alertmanager prod at ${am1.url} answered HTTP 400: .*regexp`));
    expect(r.errors[0]?.hint).toBe("Check the filter's matcher syntax");
  });
});

describe("Alertmanager client against misbehaving servers", () => {
  let server: Server;
  let base = "";
  const released: Array<() => void> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = req.url ?? "";
      if (path.startsWith("/e500/")) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify("failed to get alerts: internal"));
      } else if (path.startsWith("/garbage/")) {
        res.writeHead(200, { "content-type": "text/html" });
        res.end("<html><body>Sign in</body></html>");
      } else if (path.startsWith("/shape/")) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify([{ labels: { alertname: "A" }, fingerprint: "abc", startsAt: "2026-11-20T10:00:00Z", status: { state: "firing" } }]));
      } else if (path.startsWith("/hang/")) {
        released.push(() => res.end("[]"));
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    released.forEach((f) => f());
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it("names a 500 and its message", async () => {
    const r = await createAlertmanagerSource({ name: "prod", url: `${base}/e500` }, { timeoutMs: 5000 }).listAlerts();
    expect(r.alerts).toEqual([]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]?.message).toBe(`Alertmanager prod at ${base}/e500 answered HTTP 500: failed to get alerts: internal`);
    expect(r.errors[0]?.hint).toMatch(/Alertmanager's own log/);
  });

  it("says a non-JSON answer is not Alertmanager", async () => {
    const r = await createAlertmanagerSource({ name: "prod", url: `${base}/garbage` }, { timeoutMs: 5000 }).listAlerts();
    expect(r.errors[0]?.message).toBe(`Alertmanager prod at ${base}/garbage answered with something that is not JSON (text/html)`);
    expect(r.errors[0]?.hint).toMatch(/ALERTMANAGER_URL/);
  });

  it("names where a wrong shape is wrong", async () => {
    const r = await createAlertmanagerSource({ name: "prod", url: `${base}/shape` }, { timeoutMs: 5000 }).listAlerts();
    expect(r.alerts).toEqual([]);
    expect(r.errors[0]?.message).toContain("not an API v2 alert list at 0.status.state");
  });

  it("gives up on a hanging server after the timeout", async () => {
    const r = await createAlertmanagerSource({ name: "slow", url: `${base}/hang` }, { timeoutMs: 300 }).listAlerts();
    expect(r.errors).toEqual([
      {
        source: "slow",
        message: `Alertmanager slow at ${base}/hang did not answer within 300 ms`,
        hint: "Check that it is healthy and reachable from the console, or raise ALERTMANAGER_TIMEOUT_MS",
      },
    ]);
  });

  it("a 404 says to check the base URL", async () => {
    const r = await createAlertmanagerSource({ name: "prod", url: `${base}/nothing` }, { timeoutMs: 5000 }).listAlerts();
    expect(r.errors[0]?.message).toContain("answered HTTP 404");
    expect(r.errors[0]?.hint).toMatch(/without \/api\/v2/);
  });
});
