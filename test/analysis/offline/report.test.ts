import { describe, expect, test } from "vitest";
import { offlineReport } from "@/lib/analysis/offline/report";
import { renderReportMarkdown } from "@/lib/analysis/report-markdown";
import { diagnose } from "@/lib/analysis/offline/diagnose";
import type { Signal } from "@/lib/analysis/types";
import { evidenceBundleSchema } from "@/lib/cluster/bundle";
import { CONTAINER, NS, POD, oomBundle } from "@/test/analysis/gemini-fixture";
import { redactBundle } from "@/lib/analysis/redact";

const oomSignal: Signal = {
  category: "oom_killed",
  title: "Container vllm was OOMKilled (exit code 137)",
  confidence: 0.95,
  evidence: [
    { source: "previousLogs", line: 12, text: "Killed" },
    { source: "status", text: '"reason":"OOMKilled"' },
  ],
  suggestion: `The container exceeded its memory limit. Verify with \`kubectl describe pod ${POD} -n ${NS}\` and \`kubectl top pod ${POD} -n ${NS} --containers\`.`,
};

const loadSignal: Signal = {
  category: "model_load_failure",
  title: "Model load made up by a buggy detector",
  confidence: 0.3,
  evidence: [{ source: "logs", line: 3, text: "OSError: model.safetensors not found" }],
  suggestion: "Check the model path.",
};

describe("offlineReport", () => {
  test("the offline diagnosis becomes a labelled, grounded report with concrete commands", () => {
    const r = offlineReport({ hypotheses: [oomSignal], signals: [oomSignal] }, "quota exhausted (retry after 33s)", oomBundle());
    expect(r).toMatchObject({ source: "offline", model: null, offlineReason: "quota exhausted (retry after 33s)", insufficientEvidence: false });
    expect(r.summary).toContain(oomSignal.title);
    expect(r.hypotheses[0]).toMatchObject({ category: "oom_killed", likelihood: "high" });
    expect(r.hypotheses[0]?.evidence.map((e) => [e.text, e.verified])).toEqual([
      ["Killed", true],
      ['"reason":"OOMKilled"', true],
    ]);
    expect(r.impact).toContain(`Pod ${NS}/${POD} is not serving: 7 restarts, vllm CrashLoopBackOff, vllm last terminated OOMKilled (exit code 137).`);
    expect(r.impact).toContain("Alert ModelPodOOMKilled (critical) is firing since 2026-11-20T09:44:03.157Z.");

    const commands = r.immediateActions.map((a) => a.command ?? "").join("\n");
    expect(commands).toContain(`kubectl -n ${NS} describe pod ${POD}`);
    expect(commands).toContain(`kubectl -n ${NS} logs ${POD} -c ${CONTAINER} --previous --tail=200`);
    expect(commands).toContain(`kubectl top pod ${POD} -n ${NS} --containers`);
    expect(commands).toContain(`kubectl -n ${NS} set resources deployment/llm-chat-vllm -c vllm --limits=memory=24Gi --requests=memory=24Gi`);
    expect(commands).toContain(`kubectl -n ${NS} rollout undo deployment/llm-chat-vllm`);
    expect(r.immediateActions.some((a) => a.step.includes("`"))).toBe(false);
    expect(r.prevention.join(" ")).toMatch(/memory requests and limits/);
  });

  test("with the real offline analyzer: OOM found first, every quote verified, markdown labelled", () => {
    const { bundle } = redactBundle(oomBundle());
    const r = offlineReport(diagnose(bundle), "GEMINI_API_KEY is not set", bundle);
    expect(r.hypotheses[0]?.category).toBe("oom_killed");
    const evidence = r.hypotheses.flatMap((h) => h.evidence);
    expect(evidence.length).toBeGreaterThan(0);
    expect(evidence.filter((e) => !e.verified)).toEqual([]);
    expect(renderReportMarkdown(r)).toContain("**Offline analysis (Gemini unavailable: GEMINI_API_KEY is not set)**");
  });

  test("evidence that is not in the bundle is still caught by grounding and ranked last", () => {
    const r = offlineReport({ hypotheses: [loadSignal, oomSignal], signals: [] }, undefined, oomBundle());
    expect(r.hypotheses.map((h) => h.category)).toEqual(["oom_killed", "model_load_failure"]);
    expect(r.hypotheses[1]?.evidence[0]?.verified).toBe(false);
    expect(r.hypotheses[1]?.likelihood).toBe("low");
  });

  test("no signal: insufficient evidence, still a complete report", () => {
    const bundle = evidenceBundleSchema.parse({
      alert: { labels: { alertname: "ModelPodNotRunning", namespace: "prod", pod: "web-1" } },
      pod: null,
      errors: [{ part: "logs", code: 403, message: "forbidden: cannot get pods/log" }],
    });
    const r = offlineReport({ hypotheses: [], signals: [] }, "GEMINI_API_KEY is not set", bundle);
    expect(r.insufficientEvidence).toBe(true);
    expect(r.hypotheses).toEqual([]);
    // A pod that is gone is the verdict, not "no known failure pattern", and nothing to file an issue about.
    expect(r.summary).toMatch(/^Pod prod\/web-1 no longer exists: it was deleted or replaced, or the alert names a pod that never existed\. Its owner could not be determined/);
    expect(r.summary).not.toMatch(/no known failure/i);
    expect(r.fileable).toBe(false);
    expect(r.notFileableReason).toMatch(/prod\/web-1 was not found/);
    expect(r.impact).toContain("Pod prod/web-1 was not found");
    expect(r.impact).toContain("Evidence missing: logs (forbidden: cannot get pods/log)");
    expect(r.immediateActions.map((a) => a.command)).toEqual(["kubectl -n prod get events --sort-by=.lastTimestamp", "kubectl -n prod get pods -o wide"]);
  });

  test("a pod that could not be read (not gone) still gets the describe step", () => {
    const bundle = evidenceBundleSchema.parse({ alert: { labels: { namespace: "prod", pod: "web-1" } }, errors: [{ part: "pod", code: 403, message: "forbidden" }] });
    const r = offlineReport({ hypotheses: [], signals: [] }, undefined, bundle);
    expect(r.immediateActions[0]?.command).toBe("kubectl -n prod describe pod web-1");
    expect(r.fileable).toBeUndefined();
  });

  test("unsafe label values never reach a command", () => {
    const bundle = evidenceBundleSchema.parse({ alert: { labels: { namespace: "prod", pod: "x; rm -rf /" } } });
    const r = offlineReport({ hypotheses: [], signals: [] }, undefined, bundle);
    expect(r.immediateActions.map((a) => a.command).join("\n")).not.toContain("rm -rf");
    expect(r.immediateActions[0]?.command).toBe("kubectl -n prod describe pod <pod>");
  });
});
