import { describe, expect, it } from "vitest";
import { diagnose } from "@/lib/analysis/offline/diagnose";
import { detectSignals, evidenceSourceText, statusText, suggestionFor } from "@/lib/analysis/offline/signals";
import { classifyPull, parseScheduling } from "@/lib/analysis/offline/pod-signals";
import { signalCategorySchema, signalSchema, type Signal } from "@/lib/analysis/types";
import type { EvidenceBundle } from "@/lib/cluster/bundle";
import { metricsSummaryLines } from "@/lib/prometheus/reading";
import { incidents, loadIncident } from "../../fixtures/incidents";

function assertGrounded(bundle: EvidenceBundle, signals: Signal[]): void {
  const pod = statusText(bundle);
  const messages = bundle.events.map((e) => (typeof e.message === "string" ? e.message : ""));
  for (const s of signals) {
    for (const ev of s.evidence) {
      expect(ev.text.length, `${s.title}: empty evidence`).toBeGreaterThan(0);
      if (ev.source === "status") {
        expect(pod.includes(ev.text), `status quote not in pod JSON: ${ev.text}`).toBe(true);
        expect(ev.line).toBeUndefined();
      } else if (ev.source === "changes" || ev.source === "neighbourhood") {
        expect(evidenceSourceText(bundle, ev.source).split("\n"), `${ev.source} quote is not a summary line: ${ev.text}`).toContain(ev.text);
      } else if (ev.source === "events") {
        expect(messages.some((m) => m.includes(ev.text)), `event quote not in any message: ${ev.text}`).toBe(true);
      } else if (ev.source === "metrics") {
        expect(bundle.metrics ? metricsSummaryLines(bundle.metrics) : [], `metrics quote not a summary line: ${ev.text}`).toContain(ev.text);
        expect(ev.line).toBeUndefined();
      } else {
        const text = (ev.source === "logs" ? bundle.logs : bundle.previousLogs) ?? "";
        const lines = text.split("\n");
        expect(ev.line, `${s.title}: log evidence without a line`).toBeDefined();
        const line = lines[(ev.line ?? 0) - 1] ?? "";
        expect(line.includes(ev.text), `line ${ev.line} of ${ev.source} does not contain: ${ev.text}`).toBe(true);
      }
    }
  }
}

describe("diagnose on incident fixtures", () => {
  it.each(incidents.map((i) => [i.name, i] as const))("%s", (_name, fixture) => {
    const bundle = loadIncident(fixture.name);
    const { hypotheses, signals } = diagnose(bundle);
    const top = hypotheses[0];
    expect(top, "no hypothesis").toBeDefined();
    expect(top?.category, `${fixture.story}\n${JSON.stringify(hypotheses.map((h) => [h.category, h.confidence, h.title]), null, 1)}`).toBe(fixture.expect.top);
    expect(hypotheses.length).toBeLessThanOrEqual(3);
    expect(new Set(hypotheses.map((h) => h.category)).size).toBe(hypotheses.length);
    for (let i = 1; i < hypotheses.length; i++) expect(hypotheses[i - 1]?.confidence ?? 0).toBeGreaterThanOrEqual(hypotheses[i]?.confidence ?? 0);
    for (const bad of fixture.expect.notTop ?? []) expect(top?.category).not.toBe(bad);
    for (const word of fixture.expect.mentions ?? []) {
      expect(`${top?.title}\n${top?.suggestion}`.toLowerCase(), `top hypothesis should mention "${word}"`).toContain(word.toLowerCase());
    }
    for (const s of [...signals, ...hypotheses]) expect(signalSchema.safeParse(s).success).toBe(true);
    assertGrounded(bundle, [...signals, ...hypotheses]);
    if (top?.category !== "unknown") expect(top?.evidence.length ?? 0).toBeGreaterThan(0);
  });

  it("covers every category as a top hypothesis somewhere", () => {
    const tops = new Set(incidents.map((i) => i.expect.top));
    for (const c of signalCategorySchema.options) expect(tops.has(c), `no fixture for ${c}`).toBe(true);
    expect(incidents.length).toBeGreaterThanOrEqual(25);
  });

  it("says unknown with low confidence and what it checked when nothing matches", () => {
    const { hypotheses } = diagnose(loadIncident("healthy-unknown"));
    expect(hypotheses).toHaveLength(1);
    expect(hypotheses[0]?.category).toBe("unknown");
    expect(hypotheses[0]?.confidence).toBeLessThan(0.3);
    expect(hypotheses[0]?.suggestion).toMatch(/Checked pod status .* event\(s\), 64 current log line\(s\)/);
  });

  it("cites the exact log line of the cause", () => {
    const bundle = loadIncident("gpu-oom-pytorch");
    const top = diagnose(bundle).hypotheses[0];
    const cite = top?.evidence.find((e) => e.source === "previousLogs");
    const lines = (bundle.previousLogs ?? "").split("\n");
    const expected = lines.findIndex((l) => l.includes("torch.OutOfMemoryError")) + 1;
    expect(cite?.line).toBe(expected);
    expect(top?.title).toContain("9.00 GiB");
  });

  it("changes its answer when the decisive evidence changes", () => {
    const bundle = loadIncident("oom-killed-embedder");
    const edited = structuredClone(bundle);
    const cs = (edited.pod?.status as { containerStatuses: { lastState: { terminated: { reason: string; exitCode: number } } }[] }).containerStatuses[0];
    if (cs) cs.lastState.terminated = { ...cs.lastState.terminated, reason: "Error", exitCode: 1 };
    expect(diagnose(bundle).hypotheses[0]?.category).toBe("oom_killed");
    expect(diagnose(edited).hypotheses[0]?.category).not.toBe("oom_killed");
  });

  it("ranks a liveness kill without the loading log as a plain probe failure, not slow load", () => {
    const bundle = loadIncident("liveness-kills-slow-model-load");
    const edited = { ...bundle, previousLogs: "INFO 11-20 09:31:50 [api_server.py:1805] vLLM API server version 0.10.1\n(APIServer pid=1) INFO:     Application startup complete.\n" };
    const top = diagnose(edited).hypotheses[0];
    expect(top?.category).toBe("probe_failure");
    expect(top?.suggestion).not.toContain("still loading");
  });

  it("is deterministic and serializable", () => {
    for (const i of incidents) {
      const bundle = loadIncident(i.name);
      const a = diagnose(bundle);
      const b = diagnose(structuredClone(bundle));
      expect(JSON.stringify(a)).toBe(JSON.stringify(b));
      expect(JSON.parse(JSON.stringify(a))).toEqual(a);
    }
  });
});

describe("classifiers", () => {
  it("tells registry errors apart", () => {
    expect(classifyPull('rpc error: code = NotFound desc = failed to pull and unpack image "a/b:1": failed to resolve reference "a/b:1": a/b:1: not found')?.variant).toBe("not_found");
    expect(classifyPull("Error response from daemon: manifest for acme/x:9 not found: manifest unknown: manifest unknown")?.variant).toBe("not_found");
    expect(classifyPull("failed to authorize: failed to fetch oauth token: unexpected status from GET request to https://us-docker.pkg.dev/v2/token: 403 Forbidden")?.variant).toBe("unauthorized");
    expect(classifyPull("pull access denied for acme/private, repository does not exist or may require 'docker login': denied: requested access to the resource is denied")?.variant).toBe("ambiguous_access");
    expect(classifyPull("Error reading manifest latest in docker.io/x/y: toomanyrequests: You have reached your pull rate limit.")?.variant).toBe("rate_limited");
    expect(classifyPull('Failed to apply default image tag "Acme/Model": couldn\'t parse image reference "Acme/Model": invalid reference format: repository name must be lowercase')?.variant).toBe("invalid_name");
  });

  it("reads scheduler messages", () => {
    expect(parseScheduling("0/1 nodes are available: 1 Insufficient nvidia.com/gpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod..").variant).toBe("gpu");
    expect(parseScheduling("0/6 nodes are available: 6 Insufficient memory. preemption: 0/6 nodes are available: 6 No preemption victims found for incoming pod.").variant).toBe("memory");
    expect(parseScheduling("0/3 nodes are available: 3 Insufficient cpu.").variant).toBe("cpu");
    expect(parseScheduling("0/1 nodes are available: 1 node(s) had untolerated taint {gpu: }. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling..").variant).toBe("taint");
    expect(parseScheduling("0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.").variant).toBe("affinity");
    expect(parseScheduling('0/3 nodes are available: persistentvolumeclaim "model-cache" not found.').title).toContain('PVC "model-cache" not found');
  });

  it("gives every category an actionable suggestion", () => {
    for (const c of signalCategorySchema.options) {
      const s = suggestionFor(c, undefined, { namespace: "ml", pod: "p-1", container: "srv" });
      expect(s.length).toBeGreaterThan(40);
    }
    expect(suggestionFor("oom_killed", undefined, { namespace: "ml", pod: "p-1" })).toContain("kubectl top pod p-1 -n ml");
    expect(suggestionFor("probe_failure", "slow_load")).toContain("startupProbe");
    expect(suggestionFor("gpu_oom", "kv_cache")).toContain("--gpu-memory-utilization");
  });
});

describe("detectSignals details", () => {
  it("finds exceptions behind timestamp and process prefixes", () => {
    const bundle = loadIncident("vllm-kv-cache");
    const gpu = detectSignals(bundle).find((s) => s.category === "gpu_oom");
    expect(gpu?.evidence[0]?.text).toContain("KV cache");
  });

  it("does not treat probe connection-refused events as a dependency outage", () => {
    const signals = detectSignals(loadIncident("liveness-kills-slow-model-load"));
    expect(signals.some((s) => s.category === "dependency_unreachable")).toBe(false);
  });
});
