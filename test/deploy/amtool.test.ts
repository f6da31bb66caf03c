import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { DEPLOY, run } from "./helpers";

const AM = join(DEPLOY, "alertmanager");
const CONFIG = join(AM, "alertmanager.yml");
const TEMPLATE = join(AM, "triage.tmpl");
const SHIPPED_TEMPLATES = "/etc/alertmanager/templates/*.tmpl";
const SHIPPED_TOKEN = "/etc/alertmanager/secrets/triage-webhook-token";
const MODEL_ALERTS = ["ModelPodNotRunning", "ModelPodFrequentRestarts", "ModelPodOOMKilled", "ModelHighCPUUsage", "ModelHighMemoryUsage"];

const tmp = mkdtempSync(join(tmpdir(), "amtool-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * The shipped config with its absolute paths pointed into a temp folder: the real template (so amtool
 * parses it) and a real token file. The shipped file itself is not changed.
 */
function localConfig(templateText = readFileSync(TEMPLATE, "utf8")): string {
  const dir = mkdtempSync(join(tmp, "cfg-"));
  writeFileSync(join(dir, "triage.tmpl"), templateText);
  writeFileSync(join(dir, "token"), "test-token-0123456789abcdef\n");
  const text = readFileSync(CONFIG, "utf8");
  expect(text).toContain(SHIPPED_TEMPLATES);
  expect(text).toContain(SHIPPED_TOKEN);
  const file = join(dir, "alertmanager.yml");
  writeFileSync(file, text.replace(SHIPPED_TEMPLATES, join(dir, "*.tmpl")).replace(SHIPPED_TOKEN, join(dir, "token")));
  return file;
}

const webhookSchema = z.object({
  url: z.string(),
  send_resolved: z.boolean(),
  max_alerts: z.number().int().optional(),
  http_config: z.object({ authorization: z.object({ type: z.string(), credentials_file: z.string() }) }),
});
const configSchema = z.object({
  route: z.object({
    receiver: z.string(),
    group_by: z.array(z.string()),
    group_wait: z.string(),
    group_interval: z.string(),
    repeat_interval: z.string(),
  }),
  receivers: z.array(z.object({ name: z.string(), webhook_configs: z.array(webhookSchema).optional() })),
});

async function receiversFor(config: string, labels: Record<string, string>): Promise<string> {
  const r = await run("amtool", ["config", "routes", "test", `--config.file=${config}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return r.stdout.trim();
}

describe("Alertmanager configuration (amtool)", () => {
  it("passes amtool check-config as shipped", async () => {
    const r = await run("amtool", ["check-config", CONFIG]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("SUCCESS");
  });

  it("passes amtool check-config with its template and token file in place", async () => {
    const r = await run("amtool", ["check-config", localConfig()]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("1 templates");
  });

  it("sends the console webhook a bearer token from a file, resolved alerts included", () => {
    const cfg = configSchema.parse(parse(readFileSync(CONFIG, "utf8")));
    expect(cfg.route.group_by).toEqual(["alertname", "namespace", "pod"]);
    const hooks = cfg.receivers.find((r) => r.name === "triage-console")?.webhook_configs ?? [];
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({
      url: "http://triage-console.monitoring.svc:9095/api/webhooks/alertmanager",
      send_resolved: true,
      http_config: { authorization: { type: "Bearer", credentials_file: SHIPPED_TOKEN } },
    });
    expect(cfg.receivers.map((r) => r.name)).toContain(cfg.route.receiver);
  });

  it("caps alerts per notification so a full one stays under the console's 1 MiB body limit", () => {
    const cfg = configSchema.parse(parse(readFileSync(CONFIG, "utf8")));
    const maxAlerts = cfg.receivers.find((r) => r.name === "triage-console")?.webhook_configs?.[0]?.max_alerts ?? 0;
    // 0 (the default) means unlimited: a big group is one body over the limit, answered 413 and never retried.
    expect(maxAlerts).toBeGreaterThan(0);
    // A verbose alert of about 4 KB as JSON, twice the size of a typical kube-prometheus one.
    const alert = {
      status: "firing",
      labels: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`label_${i}`, "v".repeat(60)])),
      annotations: { summary: "s".repeat(200), description: "d".repeat(1500), runbook_url: `https://runbooks.example.com/${"r".repeat(100)}` },
      startsAt: "2026-11-20T09:58:03.157Z",
      endsAt: "0001-01-01T00:00:00Z",
      generatorURL: `http://prometheus:9090/graph?g0.expr=${"e".repeat(600)}`,
      fingerprint: "c6eadffa33fcdf37",
    };
    expect(JSON.stringify(alert).length).toBeGreaterThan(3500);
    const body = JSON.stringify({
      version: "4",
      groupKey: "{}:{alertname=\"x\"}",
      truncatedAlerts: 0,
      status: "firing",
      receiver: "triage-console",
      groupLabels: alert.labels,
      commonLabels: alert.labels,
      commonAnnotations: alert.annotations,
      externalURL: "http://alertmanager:9093",
      alerts: Array.from({ length: maxAlerts }, () => alert),
    });
    expect(Buffer.byteLength(body)).toBeLessThan(1024 * 1024);
  });

  it("routes the five model alerts and ML-namespace pod alerts to the console, and nothing else", async () => {
    for (const alertname of MODEL_ALERTS) {
      expect(await receiversFor(CONFIG, { alertname, namespace: "ml-serving", pod: "llm-0", severity: "warning" })).toBe("triage-console,default");
    }
    expect(await receiversFor(CONFIG, { alertname: "KubePodCrashLooping", namespace: "ml-ranker", pod: "r-1" })).toBe("triage-console,default");
    expect(await receiversFor(CONFIG, { alertname: "KubePodCrashLooping", namespace: "default", pod: "web-1" })).toBe("default");
    expect(await receiversFor(CONFIG, { alertname: "NodeDiskFull", namespace: "ml-serving" })).toBe("default");
  });

  it("renders a Triage link per alert, URL-escaped, preferring the rule's triage_url", async () => {
    const data = join(tmp, "data.json");
    // The template data Alertmanager builds (the webhook payload's shape).
    writeFileSync(
      data,
      JSON.stringify({
        receiver: "slack",
        status: "firing",
        alerts: [
          {
            status: "firing",
            labels: { alertname: "ModelPodOOMKilled", namespace: "ml-serving", pod: "llm-0", container: "model" },
            annotations: { summary: "OOM", triage_url: "https://console.acme.dev/triage?alertname=ModelPodOOMKilled&namespace=ml-serving&pod=llm-0&analyze=1" },
            startsAt: "2026-11-20T09:58:03.157Z",
            endsAt: "0001-01-01T00:00:00Z",
            generatorURL: "http://prometheus:9090/graph?g0.expr=x",
            fingerprint: "c6eadffa33fcdf37",
          },
          {
            status: "resolved",
            labels: { alertname: "KubePodCrashLooping", namespace: "ml a&b", pod: "web-1", cluster: "prod/eu" },
            annotations: {},
            startsAt: "2026-11-20T09:58:03.157Z",
            endsAt: "2026-11-20T10:07:03Z",
            generatorURL: "",
            fingerprint: "d7fbe0aa44ecef48",
          },
        ],
        groupLabels: {},
        commonLabels: {},
        commonAnnotations: {},
        externalURL: "http://alertmanager:9093",
      }),
    );
    const r = await run("amtool", ["template", "render", `--template.glob=${TEMPLATE}`, '--template.text={{ template "triage.slack.text" . }}', `--template.data=${data}`]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual([
      "*ModelPodOOMKilled* ml-serving/llm-0: OOM",
      "<https://console.acme.dev/triage?alertname=ModelPodOOMKilled&namespace=ml-serving&pod=llm-0&analyze=1|Triage> | <http://prometheus:9090/graph?g0.expr=x|Prometheus>",
      "[RESOLVED] *KubePodCrashLooping* ml a&b/web-1",
      "<https://triage.example.com/triage?alertname=KubePodCrashLooping&namespace=ml+a%26b&pod=web-1&cluster=prod%2Feu&analyze=1|Triage>",
    ]);
  });

  // Negative checks: amtool must reject what is wrong, or the checks above prove nothing.
  it("rejects a route to an undefined receiver", async () => {
    const file = join(tmp, "bad-route.yml");
    writeFileSync(file, readFileSync(CONFIG, "utf8").replace("  receiver: default\n", "  receiver: nobody\n"));
    const r = await run("amtool", ["check-config", file]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain("nobody");
  });

  it("rejects a broken notification template", async () => {
    const r = await run("amtool", ["check-config", localConfig('{{ define "triage.url" }}{{ if }}{{ end }}')]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/template/i);
  });
});
