import { NextRequest } from "next/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetConfigForTests } from "@/lib/config";
import { alertListResponseSchema } from "@/lib/alerts/api";
import { GET } from "@/app/api/alerts/route";
import { USER_HEADER } from "@/lib/auth/authenticate";
import { deadPort, startAlertmanager, type RunningAlertmanager } from "@/test/helpers/alertmanager";
import { resetServices } from "@/test/helpers/console";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "alerts-route-"));

let am: RunningAlertmanager;
let dead = "";
const saved = { ...process.env };

beforeAll(async () => {
  am = await startAlertmanager();
  await am.postAlerts([
    { labels: { alertname: "ModelPodOOMKilled", namespace: "ml-serving", pod: "bert-0", severity: "critical" } },
    { labels: { alertname: "ModelHighCPUUsage", namespace: "ml-batch", pod: "etl-1", severity: "warning" } },
  ]);
  await am.waitForAlerts(2);
  dead = `http://127.0.0.1:${await deadPort()}`;
});

afterAll(async () => {
  await resetServices();
  process.env = saved;
  resetConfigForTests();
  await am?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A fresh configuration, and the services built from it (the route also reads each alert's latest analysis). */
async function useEnv(env: Record<string, string>) {
  await resetServices();
  process.env = { ...saved, LOG_LEVEL: "silent", DEMO: "", ALERTMANAGER_URL: "", DATABASE_URL: `file:${join(dir, "t.sqlite")}`, ...env };
  resetConfigForTests();
}

async function call(query = "") {
  // proxy.ts sets the user header after authenticating; route handlers refuse requests without it.
  const req = new NextRequest(`http://127.0.0.1/api/alerts${query}`, { headers: { [USER_HEADER]: "tester" } });
  const res = await GET(req, { params: Promise.resolve({}) });
  return { status: res.status, body: await res.json() };
}

describe("GET /api/alerts", () => {
  it("refuses a request that did not pass authentication", async () => {
    await useEnv({ ALERTMANAGER_URL: am.url });
    const res = await GET(new NextRequest("http://127.0.0.1/api/alerts"), { params: Promise.resolve({}) });
    expect(res.status).toBe(401);
  });

  it("returns the alerts of every Alertmanager and the error of the one that is down", async () => {
    await useEnv({ ALERTMANAGER_URL: `prod=${am.url},backup=${dead}` });
    const { status, body } = await call();
    expect(status).toBe(200);
    const parsed = alertListResponseSchema.parse(body);
    expect(parsed.demo).toBe(false);
    expect(parsed.alerts.map((a) => a.labels.pod).sort()).toEqual(["bert-0", "etl-1"]);
    expect(parsed.alerts[0]?.source).toBe("prod");
    expect(parsed.errors).toEqual([{ source: "backup", message: `Alertmanager backup at ${dead} refused the connection`, hint: "Check ALERTMANAGER_URL and that it is running" }]);
  });

  it("names each source's public Alertmanager URL when one is configured, and none otherwise", async () => {
    await useEnv({ ALERTMANAGER_URL: `prod=${am.url}`, ALERTMANAGER_PUBLIC_URL: "prod=https://alertmanager.example.com" });
    const withUrl = alertListResponseSchema.parse((await call()).body);
    expect(withUrl.alertmanagerUrls).toEqual({ prod: "https://alertmanager.example.com" });
    await useEnv({ ALERTMANAGER_URL: `prod=${am.url}` });
    const { body } = await call();
    expect(body).not.toHaveProperty("alertmanagerUrls");
  });

  it("filters with matcher syntax", async () => {
    await useEnv({ ALERTMANAGER_URL: am.url });
    const { body } = await call(`?filter=${encodeURIComponent('severity="critical"')}`);
    expect(alertListResponseSchema.parse(body).alerts.map((a) => a.labels.pod)).toEqual(["bert-0"]);
    const regex = await call(`?filter=${encodeURIComponent('{namespace=~"ml-.*", pod!~"bert.*"}')}`);
    expect(alertListResponseSchema.parse(regex.body).alerts.map((a) => a.labels.pod)).toEqual(["etl-1"]);
  });

  it("answers 422 naming the bad matcher", async () => {
    await useEnv({ ALERTMANAGER_URL: am.url });
    const { status, body } = await call(`?filter=${encodeURIComponent('severity="critical", namespace=~"ml-("')}`);
    expect(status).toBe(422);
    expect(body.error.code).toBe("unprocessable");
    expect(body.error.message).toContain('namespace=~"ml-("');
    expect(body.error.message).toContain("not a valid RE2 regex (missing closing ))");
    expect(body.error.hint).toMatch(/RE2 syntax, as in Alertmanager/);
  });

  it("says when no Alertmanager is configured", async () => {
    await useEnv({});
    const { status, body } = await call();
    expect(status).toBe(200);
    expect(body).toEqual({
      alerts: [],
      errors: [
        {
          source: "configuration",
          message: "No Alertmanager configured",
          hint: "Set ALERTMANAGER_URL=http://alertmanager:9093 (comma-separate several, name=url to name them), or run npm run demo",
        },
      ],
      demo: false,
      analyses: {},
    });
  });

  it("serves the demo incidents, filtered locally", async () => {
    await useEnv({ DEMO: "1" });
    const all = alertListResponseSchema.parse((await call()).body);
    expect(all.demo).toBe(true);
    expect(all.alerts.length).toBeGreaterThan(0);
    const critical = alertListResponseSchema.parse((await call(`?filter=${encodeURIComponent('severity=~"crit.*"')}`)).body);
    expect(critical.alerts.length).toBeGreaterThan(0);
    expect(critical.alerts.length).toBeLessThanOrEqual(all.alerts.length);
    expect(critical.alerts.every((a) => a.labels.severity === "critical")).toBe(true);
  });
});
