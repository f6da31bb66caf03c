import { describe, expect, it } from "vitest";
import { changesLines, neighbourhoodLines } from "@/lib/analysis/context";
import { diagnose } from "@/lib/analysis/offline/diagnose";
import { offlineReport } from "@/lib/analysis/offline/report";
import type { EvidenceBundle } from "@/lib/cluster/bundle";
import { metaOf } from "@/lib/cluster/workload-view";
import { node } from "@/test/fixtures/workloads";
import { loadIncident } from "../../fixtures/incidents";

/** What changed and who else is hurting, as hypotheses and actions (issue 16, item 3). */

const report = (b: EvidenceBundle) => offlineReport(diagnose(b), undefined, b);
const commands = (b: EvidenceBundle) => report(b).immediateActions.map((a) => a.command ?? "").join("\n");

describe("bad_rollout", () => {
  it("names the revision whose change fits the OOM kills, quotes the diff, and rolls back to the one before", () => {
    const bundle = loadIncident("bad-rollout-max-model-len");
    expect(changesLines(bundle)).toEqual(["revision 7, 7 min before the alert: --max-model-len 8192 → 32768", "server: --max-model-len 8192 → 32768"]);
    const r = report(bundle);
    expect(r.hypotheses[0]).toMatchObject({ category: "bad_rollout", likelihood: "high" });
    expect(r.hypotheses[0]?.title).toBe("revision 7, rolled out 7 min before the alert, fits the memory kills: --max-model-len 8192 → 32768");
    expect(r.hypotheses[0]?.evidence).toEqual(
      expect.arrayContaining([
        { source: "changes", text: "revision 7, 7 min before the alert: --max-model-len 8192 → 32768", verified: true },
        { source: "changes", text: "server: --max-model-len 8192 → 32768", verified: true },
      ]),
    );
    expect(r.hypotheses[1]?.category).toBe("oom_killed");
    const cmds = commands(bundle);
    expect(cmds).toContain("kubectl rollout undo deployment/chat-vllm -n ml-serving --to-revision=6");
    expect(cmds).toContain("kubectl rollout history deployment/chat-vllm -n ml-serving");
    expect(r.immediateActions.find((a) => a.command?.includes("rollout undo"))?.hypothesis).toBe(1);
    expect(r.summary).toMatch(/3 of 3 pods of deployment\/chat-vllm are failing/);
  });

  it("an unrelated rollout (only LOG_LEVEL) is not a cause", () => {
    const bundle = loadIncident("rollout-unrelated-db-refused");
    expect(changesLines(bundle)[0]).toMatch(/^revision 4, 40 min before the alert: env LOG_LEVEL info → debug$/);
    const d = diagnose(bundle);
    expect(d.hypotheses[0]?.category).toBe("dependency_unreachable");
    expect(d.hypotheses.map((h) => h.category)).not.toContain("bad_rollout");
    expect(d.signals.find((s) => s.category === "bad_rollout")?.confidence).toBeLessThan(0.3);
  });

  it("a rollout older than the window, or after the alert started, is not 'soon before' it", () => {
    const bundle = loadIncident("bad-rollout-max-model-len");
    const late = { ...bundle, alert: { ...bundle.alert, startsAt: "2026-11-20T06:00:00.000Z" } };
    expect(diagnose(late).signals.some((s) => s.category === "bad_rollout")).toBe(false);
    const old = { ...bundle, alert: { ...bundle.alert, startsAt: "2026-11-20T22:00:00.000Z" } };
    expect(diagnose(old).signals.some((s) => s.category === "bad_rollout")).toBe(false);
  });
});

describe("node_pressure and the replica reading", () => {
  it("one evicted replica on a node under MemoryPressure: the node is the cause, cordon and drain it", () => {
    const bundle = loadIncident("node-memory-pressure-one-replica");
    const r = report(bundle);
    expect(r.hypotheses[0]).toMatchObject({ category: "node_pressure", title: "Node gke-ml-prod-l4-pool-5b1c9e2f-7hq2 is under MemoryPressure" });
    expect(r.hypotheses[0]?.evidence[0]).toEqual({
      source: "neighbourhood",
      text: "node gke-ml-prod-l4-pool-5b1c9e2f-7hq2: MemoryPressure=True (KubeletHasInsufficientMemory: kubelet has insufficient memory available)",
      verified: true,
    });
    expect(r.hypotheses[1]?.category).toBe("evicted");
    const cmds = commands(bundle);
    expect(cmds).toContain("kubectl cordon gke-ml-prod-l4-pool-5b1c9e2f-7hq2");
    expect(cmds).toContain("kubectl drain gke-ml-prod-l4-pool-5b1c9e2f-7hq2 --ignore-daemonsets --delete-emptydir-data");
    expect(r.impact).toContain("Replicas: 1 of 4 pods of deployment/embedder is failing.");
  });

  it("1 of 2 replicas failing ranks the node first; 2 of 2 on different nodes ranks the shared dependency first", () => {
    const base = loadIncident("rollout-unrelated-db-refused");
    const nodeName = metaOf(base.siblings?.[0]).name ? (base.pod as { spec: { nodeName: string } }).spec.nodeName : "";
    const pressured = { ...base, node: node(new Date("2026-11-20T10:00:00Z"), nodeName, { memoryPressure: true, images: 0 }) };
    const healthy = (p: Record<string, unknown>) => {
      const c = structuredClone(p) as { metadata: { name: string }; status: { conditions: Array<{ type: string; status: string }>; containerStatuses: Array<{ ready: boolean }> } };
      for (const k of c.status.conditions) if (k.type === "Ready") k.status = "True";
      for (const s of c.status.containerStatuses) s.ready = true;
      return c;
    };
    const oneOfTwo = { ...pressured, siblings: (pressured.siblings ?? []).map((p) => (metaOf(p).name === base.target?.pod ? p : healthy(p))) };

    const all = diagnose(pressured);
    const one = diagnose(oneOfTwo);
    const conf = (d: typeof all, c: string) => d.hypotheses.find((h) => h.category === c)?.confidence ?? 0;
    expect(all.hypotheses[0]?.category).toBe("dependency_unreachable");
    expect(one.hypotheses[0]?.category).toBe("node_pressure");
    expect(conf(one, "dependency_unreachable")).toBeLessThan(conf(all, "dependency_unreachable"));
    expect(conf(one, "node_pressure")).toBeGreaterThan(conf(all, "node_pressure"));
    expect(neighbourhoodLines(oneOfTwo)[0]).toBe("replicas: 1 of 2 pods of deployment/ranker is failing");
    expect(neighbourhoodLines(pressured)[0]).toBe("replicas: 2 of 2 pods of deployment/ranker are failing");
  });
});

describe("overload", () => {
  it("an HPA at its maximum gets the exact command to raise it", () => {
    const bundle = loadIncident("tgi-overloaded-hpa-at-max");
    expect(neighbourhoodLines(bundle)).toContain("hpa assist-tgi: 2 current, 4 desired, min 1, max 2; ScalingLimited=True (TooManyReplicas: the desired replica count is more than the maximum replica count)");
    const r = report(bundle);
    expect(r.hypotheses[0]?.category).toBe("overload");
    expect(commands(bundle)).toContain(`kubectl patch hpa assist-tgi -n ml-serving -p '{"spec":{"maxReplicas":4}}'`);
    expect(r.impact).toMatch(/5 request-rejection warnings \(Model is overloaded\)/);
  });
});
