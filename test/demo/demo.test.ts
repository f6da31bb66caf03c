import { describe, expect, it } from "vitest";
import { targetFromLabels } from "@/lib/alerts/types";
import { evidenceBundleSchema } from "@/lib/cluster/bundle";
import { gatherEvidence } from "@/lib/cluster/gather";
import { viewPod } from "@/lib/cluster/view";
import { createDemoAlertSource } from "@/lib/demo/alerts";
import { createDemoClusterReaders } from "@/lib/demo/cluster";
import { buildDemoCluster } from "@/lib/demo/evidence";
import { demoIncidents } from "@/lib/demo/incidents";

/** A nested field of wire JSON, read without casts. */
function field(obj: unknown, dotted: string): unknown {
  let v: unknown = obj;
  for (const key of dotted.split(".")) v = v && typeof v === "object" ? Object.entries(v).find(([k]) => k === key)?.[1] : undefined;
  return v;
}

const RULES = ["ModelPodOOMKilled", "ModelPodNotRunning", "ModelPodFrequentRestarts", "ModelHighCPUUsage", "ModelHighMemoryUsage"];

describe("demo alerts", () => {
  it("lists every incident as a firing demo alert with a target, covering all five rules", async () => {
    const { alerts, errors } = await createDemoAlertSource().listAlerts();
    expect(errors).toEqual([]);
    expect(alerts).toHaveLength(demoIncidents.length);
    expect(new Set(alerts.map((a) => a.labels.alertname))).toEqual(new Set(RULES));
    for (const a of alerts) {
      expect(a.source).toBe("demo");
      expect(a.fingerprint).toMatch(/^[0-9a-f]{16}$/);
      expect(Date.parse(a.startsAt)).toBeLessThan(Date.now());
      expect(a.annotations.runbook_url).toMatch(/^https:\/\//);
      const target = targetFromLabels(a.labels);
      expect(target, a.labels.pod).toBeDefined();
      expect(target?.namespace).toBe("ml-serving");
    }
    expect(new Set(alerts.map((a) => a.fingerprint)).size).toBe(alerts.length);
  });

  it("filters with Alertmanager matchers", async () => {
    const src = createDemoAlertSource();
    const { alerts } = await src.listAlerts({ filter: ['alertname="ModelPodFrequentRestarts"', "severity=~warn.*"] });
    expect(alerts.length).toBe(demoIncidents.filter((i) => i.labels.alertname === "ModelPodFrequentRestarts").length);
    expect((await src.listAlerts({ filter: ["severity!=critical"] })).alerts.every((a) => a.labels.severity === "warning")).toBe(true);
  });
});

describe("demo cluster", () => {
  const readers = createDemoClusterReaders();

  it.each(demoIncidents.map((i) => [i.scenario, i] as const))("gathers %s fully", async (_name, incident) => {
    const target = targetFromLabels(incident.labels);
    if (!target) throw new Error("demo incident without a target");
    const bundle = evidenceBundleSchema.parse(
      await gatherEvidence(readers, target, { labels: incident.labels, annotations: incident.annotations, fingerprint: incident.fingerprint }),
    );
    expect(bundle.pod).toBeTruthy();
    expect(bundle.container).toBe(incident.labels.container);
    const view = viewPod(bundle.pod);
    const status = view?.status?.containerStatuses?.find((s) => s.name === bundle.container);
    const restarted = (status?.restartCount ?? 0) > 0 || Boolean(status?.lastState?.terminated);
    expect(bundle.previousLogs !== undefined).toBe(restarted);
    if (restarted) expect(bundle.previousLogs?.length).toBeGreaterThan(500);
    // Every part either arrived or says why not; a container that never started has no logs, only a reason.
    if (status?.state?.waiting && !status.lastState?.terminated) {
      expect(bundle.logs).toBeUndefined();
      expect(bundle.errors.find((e) => e.part === "logs")?.message).toMatch(/has not started yet .*no logs exist yet/);
    } else {
      expect(bundle.logs).toBeDefined();
      expect(bundle.errors).toEqual([]);
    }
    expect(bundle.tailLines).toBe(1000);
    if (bundle.logs) expect(bundle.logs.split("\n").length).toBeLessThanOrEqual(1001);
  });

  it("falls back to owner events when a pod has few of its own", async () => {
    const incident = demoIncidents.find((i) => i.scenario === "unschedulable-gpu");
    const target = incident && targetFromLabels(incident.labels);
    if (!target) throw new Error("missing demo incident");
    const bundle = await readers.forCluster("demo").gather(target);
    const kinds = bundle.events.map((e) => field(e, "involvedObject.kind"));
    expect(kinds).toContain("Pod");
    expect(kinds).toContain("ReplicaSet");
    expect(kinds).toContain("Deployment");
    expect(JSON.stringify(bundle.events)).toContain("Insufficient nvidia.com/gpu");
    expect(bundle.logs).toBe("");
  });

  it("answers an unknown pod like the real reader: pod null and a 404 sentence", async () => {
    const bundle = await readers.forCluster().gather({ namespace: "ml-serving", pod: "gone-7d9f8b6c5d-zzzzz" });
    expect(bundle.pod).toBeNull();
    expect(bundle.errors.find((e) => e.part === "pod")).toMatchObject({ code: 404, message: expect.stringContaining("no longer exists") });
    expect(bundle.logs).toBeUndefined();
  });

  it("plants secrets in some logs so redaction has something to show", () => {
    const all = buildDemoCluster()
      .pods.flatMap((p) => Object.values(p.logs).flatMap((l) => [l.current ?? "", l.previous ?? ""]))
      .join("\n");
    expect(all).toMatch(/hf_[A-Za-z0-9]{30,}/);
    expect(all).toMatch(/AKIA[0-9A-Z]{16}/);
    expect(all).toMatch(/postgresql:\/\/\w+:[^@\s]+@/);
  });

  it("writes pods and events in wire format: string times, kinds and API versions", () => {
    const state = buildDemoCluster(new Date("2026-11-20T10:00:00Z"));
    for (const { pod } of state.pods) {
      expect(pod).toMatchObject({ kind: "Pod", apiVersion: "v1" });
      expect(JSON.stringify(pod)).not.toMatch(/\.\d{3}Z"/);
    }
    for (const e of state.events) expect(typeof field(e, "metadata.creationTimestamp")).toBe("string");
  });
});
