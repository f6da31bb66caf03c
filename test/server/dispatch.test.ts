import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { GET as queue } from "@/app/api/jobs/route";
import { POST as webhook } from "@/app/api/webhooks/alertmanager/route";
import { startWebhookListener, WEBHOOK_PATH } from "@/lib/server/webhook";
import { fakeWorkflowFromYaml } from "@/test/fakes/github-server";
import { startAlertmanager, type RunningAlertmanager } from "@/test/helpers/alertmanager";
import { REPO, WEBHOOK_TOKEN, oomLabels, startTestConsole, type TestConsole } from "@/test/helpers/console";

// WEBHOOK_MODE=dispatch: the webhook starts the ai-log-analysis.yml workflow (on the loopback GitHub fake,
// which validates the inputs against the real workflow file) instead of analyzing.

const WORKFLOW = "ai-log-analysis.yml";
const workflowText = readFileSync(join(import.meta.dirname, "..", "..", ".github", "workflows", WORKFLOW), "utf8");
const outcomeSchema = z.object({ status: z.literal("accepted"), queued: z.number(), duplicates: z.number(), resolved: z.number(), skipped: z.array(z.object({ reason: z.string() })) });
const queueSchema = z.object({
  webhookMode: z.string(),
  dispatches: z.object({
    workflow: z.string(),
    ref: z.string(),
    runsUrl: z.string().optional(),
    recent: z.array(z.object({ status: z.string(), attempts: z.number(), lastError: z.string().optional(), alertName: z.string().optional(), target: z.string().optional() })),
  }),
});

let tc: TestConsole;
let counter = 0;
const fp = () => `d${(++counter).toString(16).padStart(15, "0")}`;

beforeAll(async () => {
  tc = await startTestConsole({ WEBHOOK_MODE: "dispatch", GEMINI_API_KEY: "", KUBECONFIG: "/nonexistent/kubeconfig" });
});
afterAll(async () => {
  await tc?.stop();
});
afterEach(() => {
  // Each test starts from the real workflow on main.
  tc.github.addWorkflow(REPO, fakeWorkflowFromYaml(WORKFLOW, workflowText));
});

function amAlert(fingerprint: string, labels: Record<string, string>, startsAt: string, status: "firing" | "resolved" = "firing") {
  return { status, labels, annotations: {}, startsAt, endsAt: status === "firing" ? "0001-01-01T00:00:00Z" : new Date().toISOString(), generatorURL: "http://prometheus:9090/graph", fingerprint };
}
const envelope = (alerts: unknown[]) => JSON.stringify({ version: "4", status: "firing", receiver: "triage", groupKey: "{}:{}", alerts }) + "\n";

async function post(body: string) {
  const r = await tc.callJson(webhook, { method: "POST", url: WEBHOOK_PATH, body, headers: { authorization: `Bearer ${WEBHOOK_TOKEN}` }, user: false });
  expect(r.status).toBe(202);
  return outcomeSchema.parse(r.body);
}

async function drain() {
  await (await tc.services()).worker.drain({ timeoutMs: 60_000 });
}

const dispatchesFor = (pod: string) => tc.github.dispatches(REPO).filter((d) => d.inputs.pod_name === pod);

describe("webhook in dispatch mode", () => {
  it("dispatches each selected firing alert once with exactly the workflow's inputs, and nothing for redeliveries, resolutions or skipped alerts", async () => {
    tc.github.addWorkflow(REPO, fakeWorkflowFromYaml(WORKFLOW, workflowText));
    const s = await tc.services();
    const a = fp();
    const b = fp();
    const body = envelope([
      amAlert(a, oomLabels({ pod: "vllm-a", cluster: "prod-eu" }), "2026-11-25T09:00:00Z"),
      amAlert(b, oomLabels({ pod: "vllm-b", alertname: "ModelPodFrequentRestarts", severity: "page" }), "2026-11-25T09:00:01Z"),
      amAlert(fp(), { alertname: "KubeNodeNotReady", severity: "critical", node: "n1" }, "2026-11-25T09:00:00Z"),
    ]);
    expect(await post(body)).toMatchObject({ queued: 2, duplicates: 0, skipped: [{ reason: "the alert has no valid namespace and pod labels" }] });
    expect(await post(body)).toMatchObject({ queued: 0, duplicates: 2 });
    await drain();
    expect(await post(body)).toMatchObject({ queued: 0, duplicates: 2 });
    await post(envelope([amAlert(a, oomLabels({ pod: "vllm-a", cluster: "prod-eu" }), "2026-11-25T09:00:00Z", "resolved")]));
    await drain();

    expect(dispatchesFor("vllm-a")).toEqual([
      { repo: REPO, workflow: WORKFLOW, ref: "main", inputs: { pod_name: "vllm-a", namespace: oomLabels().namespace, alert_name: "ModelPodOOMKilled", cluster: "prod-eu", severity: "critical" } },
    ]);
    expect(dispatchesFor("vllm-b").map((d) => d.inputs)).toEqual([
      { pod_name: "vllm-b", namespace: oomLabels().namespace, alert_name: "ModelPodFrequentRestarts", cluster: "", severity: "warning" },
    ]);
    // Nothing is analyzed in the console.
    expect((await s.store.listAnalyses({ limit: 10 })).items).toEqual([]);
    expect((await s.store.listAudit({ action: "workflow.dispatched" })).map((e) => e.target).sort()).toEqual([a, b].sort());

    // The queue panel lists the dispatched runs with the workflow's runs page.
    const q = queueSchema.parse((await tc.callJson(queue, { url: "/api/jobs" })).body);
    expect(q.webhookMode).toBe("dispatch");
    expect(q.dispatches.runsUrl).toBe(`${tc.github.url}/${REPO}/actions/workflows/${WORKFLOW}`);
    expect(q.dispatches.recent.filter((d) => d.status === "done").map((d) => d.target).sort()).toEqual([`${oomLabels().namespace}/vllm-b`, `prod-eu/${oomLabels().namespace}/vllm-a`]);
  });

  it("a new episode of the same alert dispatches again", async () => {
    const a = fp();
    await post(envelope([amAlert(a, oomLabels({ pod: "vllm-c" }), "2026-11-25T10:00:00Z")]));
    await post(envelope([amAlert(a, oomLabels({ pod: "vllm-c" }), "2026-11-25T11:00:00Z")]));
    await drain();
    expect(dispatchesFor("vllm-c")).toHaveLength(2);
  });

  it("with a cooldown, a still-firing episode starts a new run at most once per cooldown, across window boundaries", async () => {
    const s = await tc.restart({ ANALYSIS_COOLDOWN_SECONDS: "900" });
    // Only Date moves: timers stay real, so the worker keeps running. Nothing runs while the clock jumps.
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const windowStart = Math.floor(Date.parse("2026-11-25T12:00:00Z") / 900_000) * 900_000;
      const alert = amAlert(fp(), oomLabels({ pod: "vllm-g" }), "2026-11-25T11:50:00Z");
      const at = async (ms: number) => {
        vi.setSystemTime(ms);
        const r = await post(envelope([alert]));
        await s.worker.drain({ timeoutMs: 60_000 });
        return r;
      };
      expect(await at(windowStart + 890_000)).toMatchObject({ queued: 1 });
      // 20 s later, but in the next window: still within the cooldown of the first run.
      expect(await at(windowStart + 910_000)).toMatchObject({ queued: 0, duplicates: 1 });
      expect(await at(windowStart + 1_785_000)).toMatchObject({ queued: 0, duplicates: 1 });
      // More than a cooldown after the first run: a new one; a redelivery of it in its window is a duplicate.
      expect(await at(windowStart + 1_795_000)).toMatchObject({ queued: 1 });
      expect(await at(windowStart + 1_799_000)).toMatchObject({ queued: 0, duplicates: 1 });
    } finally {
      vi.useRealTimers();
    }
    expect(dispatchesFor("vllm-g")).toHaveLength(2);
    await tc.restart({ ANALYSIS_COOLDOWN_SECONDS: "0" });
  });

  it("retries 5xx and rate limits (honouring retry-after), then dispatches once", async () => {
    tc.github.failNext({ kind: "status", status: 502 }, { path: /dispatches$/ });
    tc.github.failNext({ kind: "secondary-rate-limit", status: 429, retryAfterSeconds: 1 }, { path: /dispatches$/ });
    await post(envelope([amAlert(fp(), oomLabels({ pod: "vllm-d" }), "2026-11-25T09:00:00Z")]));
    await drain();
    expect(dispatchesFor("vllm-d")).toHaveLength(1);
    const s = await tc.services();
    const job = (await s.store.listJobs({ kind: "dispatch", limit: 50 })).find((j) => JSON.stringify(j.payload).includes("vllm-d"));
    expect(job).toMatchObject({ status: "done", attempts: 3 });
  });

  it("keeps a permanent failure with what to fix: the workflow's undeclared inputs are named", async () => {
    tc.github.addWorkflow(REPO, { file: WORKFLOW, inputs: { pod_name: { required: true }, namespace: { required: true }, severity: { type: "choice", options: ["critical", "warning"] } } });
    await post(envelope([amAlert(fp(), oomLabels({ pod: "vllm-e" }), "2026-11-25T09:00:00Z")]));
    await drain();
    expect(dispatchesFor("vllm-e")).toEqual([]);
    const q = queueSchema.parse((await tc.callJson(queue, { url: "/api/jobs" })).body);
    const failed = q.dispatches.recent.find((d) => d.target?.endsWith("/vllm-e"));
    expect(failed).toMatchObject({ status: "failed", attempts: 1 });
    expect(failed?.lastError).toContain(`Workflow ${WORKFLOW} on main does not declare the inputs alert_name, cluster that the console sends`);
  });

  it("keeps a 404 with the settings to check", async () => {
    tc.github.addWorkflow(REPO, { file: "other.yml", inputs: {} });
    const s = await tc.restart({ GITHUB_WORKFLOW: "missing.yml" });
    await post(envelope([amAlert(fp(), oomLabels({ pod: "vllm-f" }), "2026-11-25T09:00:00Z")]));
    await s.worker.drain({ timeoutMs: 60_000 });
    const job = (await s.store.listJobs({ kind: "dispatch", status: "failed", limit: 50 })).find((j) => JSON.stringify(j.payload).includes("vllm-f"));
    expect(job?.attempts).toBe(1);
    expect(job?.lastError).toContain(`Workflow missing.yml not found on ref main of ${REPO}, or the token cannot see it`);
    await tc.restart({ GITHUB_WORKFLOW: "" });
  });
});

describe("from the real Alertmanager binary", () => {
  let am: RunningAlertmanager | undefined;
  let listener: Server | undefined;
  let proxy: Server | undefined;
  afterAll(async () => {
    await am?.stop();
    await Promise.all([listener, proxy].map((srv) => (srv ? new Promise((r) => srv.close(r)) : undefined)));
  });

  it("one dispatch per alert; a redelivery after a lost answer dispatches nothing more, and the resolution nothing", async () => {
    const s = await tc.services();
    listener = await startWebhookListener(s, "127.0.0.1", 0);
    const target = `http://127.0.0.1:${(listener.address() as AddressInfo).port}${WEBHOOK_PATH}`;
    // Between Alertmanager and the listener: forwards every delivery, but answers 500 to the first one of
    // each group, as if the answer were lost, so Alertmanager delivers that notification again.
    const deliveries: Array<{ groupKey: string; status: string }> = [];
    proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const env = z.object({ groupKey: z.string(), status: z.string() }).parse(JSON.parse(body));
        const first = !deliveries.some((d) => d.groupKey === env.groupKey);
        deliveries.push(env);
        fetch(target, { method: "POST", body, headers: { authorization: req.headers.authorization ?? "", "content-type": "application/json" } })
          .then(async (r) => {
            const text = await r.text();
            res.writeHead(first ? 500 : r.status, { "content-type": "application/json" }).end(first ? '{"error":"lost"}' : text);
          })
          .catch(() => res.writeHead(502).end());
      });
    });
    await new Promise<void>((r) => proxy?.listen(0, "127.0.0.1", r));
    am = await startAlertmanager({ webhook: { url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/hook`, bearerToken: WEBHOOK_TOKEN } });

    const alerts = [
      { labels: oomLabels({ pod: "am-vllm-0" }) },
      { labels: oomLabels({ pod: "am-vllm-1", alertname: "ModelHighMemoryUsage", severity: "warning" }) },
      { labels: { alertname: "KubeNodeNotReady", severity: "critical", node: "node-1" } },
    ];
    await am.postAlerts(alerts);
    const groups = 3;
    await tc.waitFor(() => new Set(deliveries.filter((d, i) => deliveries.findIndex((x) => x.groupKey === d.groupKey) !== i).map((d) => d.groupKey)).size === groups, "a redelivery of every group");
    await s.worker.drain({ timeoutMs: 60_000 });
    const ams = () => tc.github.dispatches(REPO).filter((d) => String(d.inputs.pod_name).startsWith("am-"));
    expect(ams().map((d) => `${d.inputs.alert_name} ${d.inputs.pod_name} ${d.inputs.severity}`).sort()).toEqual(["ModelHighMemoryUsage am-vllm-1 warning", "ModelPodOOMKilled am-vllm-0 critical"]);

    // The alerts resolve: Alertmanager sends the resolution, which starts nothing.
    const ended = new Date(Date.now() - 1000).toISOString();
    await am.postAlerts(alerts.map((a) => ({ ...a, endsAt: ended })));
    await tc.waitFor(() => deliveries.filter((d) => d.status === "resolved").length >= groups, "the resolved notifications", 60_000);
    await s.worker.drain({ timeoutMs: 60_000 });
    expect(ams()).toHaveLength(2);
  });
});
