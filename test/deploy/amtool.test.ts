import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { z } from "zod";
import { DEPLOY, readYamlDocs, run } from "./helpers";

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

// The Prometheus Operator's AlertmanagerConfig (monitoring.coreos.com/v1alpha1), only the fields the kit
// uses, strict so a misspelt field fails here instead of being dropped by the operator's CRD validation.
const amcMatcherSchema = z.object({ name: z.string(), matchType: z.enum(["=", "!=", "=~", "!~"]), value: z.string() }).strict();
interface AmcRoute {
  receiver: string;
  groupBy?: string[];
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
  matchers?: Array<z.infer<typeof amcMatcherSchema>>;
  continue?: boolean;
  routes?: AmcRoute[];
}
const amcRouteSchema: z.ZodType<AmcRoute> = z.lazy(() =>
  z
    .object({
      receiver: z.string(),
      groupBy: z.array(z.string()).optional(),
      groupWait: z.string().optional(),
      groupInterval: z.string().optional(),
      repeatInterval: z.string().optional(),
      matchers: z.array(amcMatcherSchema).optional(),
      continue: z.boolean().optional(),
      routes: z.array(amcRouteSchema).optional(),
    })
    .strict(),
);
const amcSchema = z
  .object({
    apiVersion: z.literal("monitoring.coreos.com/v1alpha1"),
    kind: z.literal("AlertmanagerConfig"),
    metadata: z.object({ name: z.string(), namespace: z.string(), labels: z.record(z.string(), z.string()).optional() }).strict(),
    spec: z
      .object({
        route: amcRouteSchema,
        receivers: z.array(
          z
            .object({
              name: z.string(),
              webhookConfigs: z
                .array(
                  z
                    .object({
                      url: z.string(),
                      sendResolved: z.boolean(),
                      maxAlerts: z.number().int(),
                      httpConfig: z
                        .object({
                          authorization: z.object({ type: z.string(), credentials: z.object({ name: z.string(), key: z.string() }).strict() }).strict(),
                        })
                        .strict(),
                    })
                    .strict(),
                )
                .optional(),
            })
            .strict(),
        ),
      })
      .strict(),
  })
  .strict();
type Amc = z.infer<typeof amcSchema>;

/**
 * What the operator generates from an AlertmanagerConfig with alertmanagerConfigMatcherStrategy None:
 * its route as the first child of the root with continue: true, receivers named namespace/name/receiver,
 * and the Secret's value inlined as credentials.
 */
function operatorConfig(amc: Amc, secretValue: string): string {
  const prefix = `${amc.metadata.namespace}/${amc.metadata.name}/`;
  const route = (r: AmcRoute, top: boolean): Record<string, unknown> => ({
    receiver: prefix + r.receiver,
    ...(r.groupBy ? { group_by: r.groupBy } : {}),
    ...(r.groupWait ? { group_wait: r.groupWait } : {}),
    ...(r.groupInterval ? { group_interval: r.groupInterval } : {}),
    ...(r.repeatInterval ? { repeat_interval: r.repeatInterval } : {}),
    ...(r.matchers ? { matchers: r.matchers.map((m) => `${m.name}${m.matchType}${JSON.stringify(m.value)}`) } : {}),
    ...(top || r.continue ? { continue: true } : {}),
    ...(r.routes ? { routes: r.routes.map((x) => route(x, false)) } : {}),
  });
  return stringify({
    route: { receiver: "default", group_by: ["alertname"], routes: [route(amc.spec.route, true), { receiver: "default" }] },
    receivers: [
      { name: "default" },
      ...amc.spec.receivers.map((r) => ({
        name: prefix + r.name,
        ...(r.webhookConfigs
          ? {
              webhook_configs: r.webhookConfigs.map((w) => ({
                url: w.url,
                send_resolved: w.sendResolved,
                max_alerts: w.maxAlerts,
                http_config: { authorization: { type: w.httpConfig.authorization.type, credentials: secretValue } },
              })),
            }
          : {}),
      })),
    ],
  });
}

describe("AlertmanagerConfig for the Prometheus Operator (deploy/gke)", () => {
  const amc = amcSchema.parse(readYamlDocs(join(DEPLOY, "gke", "alertmanagerconfig.yaml"))[0]);
  const shipped = configSchema.parse(parse(readFileSync(CONFIG, "utf8")));
  const shippedHook = shipped.receivers.find((r) => r.name === "triage-console")?.webhook_configs?.[0];

  it("sends what alertmanager.yml sends: the same URL, resolved alerts, max_alerts and grouping", () => {
    const hooks = amc.spec.receivers.flatMap((r) => r.webhookConfigs ?? []);
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({ url: shippedHook?.url, sendResolved: true, maxAlerts: shippedHook?.max_alerts });
    expect(hooks[0]?.httpConfig.authorization).toEqual({ type: "Bearer", credentials: { name: "triage-console", key: "webhook-bearer-token" } });
    for (const r of amc.spec.route.routes ?? []) expect(r.groupBy).toEqual(shipped.route.group_by);
    expect(amc.spec.route.groupBy).toEqual(shipped.route.group_by);
  });

  it("passes amtool check-config and routes like alertmanager.yml once the operator has rendered it", async () => {
    const file = join(tmp, "operator.yml");
    writeFileSync(file, operatorConfig(amc, "test-token-0123456789abcdef"));
    const check = await run("amtool", ["check-config", file]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    const triage = "monitoring/triage-console/triage-console";
    for (const alertname of MODEL_ALERTS) {
      expect(await receiversFor(file, { alertname, namespace: "ml-serving", pod: "llm-0" })).toBe(`${triage},default`);
    }
    expect(await receiversFor(file, { alertname: "KubePodCrashLooping", namespace: "ml-ranker", pod: "r-1" })).toBe(`${triage},default`);
    expect(await receiversFor(file, { alertname: "KubePodCrashLooping", namespace: "default", pod: "web-1" })).toBe("monitoring/triage-console/none,default");
    expect(await receiversFor(file, { alertname: "NodeDiskFull", namespace: "ml-serving" })).toBe("monitoring/triage-console/none,default");
  });
});

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
