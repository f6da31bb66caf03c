import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { alertMarkerIndex, ChangesPanel } from "@/components/analysis/changes-panel";
import { bestQuoteMatch, quoteScore } from "@/components/analysis/evidence-focus";
import { NeighbourhoodPanel } from "@/components/analysis/neighbourhood-panel";
import { PodTab } from "@/components/analysis/pod-tab";
import { targetFromLabels } from "@/lib/alerts/types";
import { evidenceBundleSchema, type EvidenceBundle } from "@/lib/cluster/bundle";
import { gatherEvidence } from "@/lib/cluster/gather";
import { diffRevisions } from "@/lib/cluster/revision-diff";
import { createDemoClusterReaders } from "@/lib/demo/cluster";
import { demoIncidents, type DemoScenario } from "@/lib/demo/incidents";

/** The Changes, Neighbourhood and Pod tabs rendered to HTML from demo bundles, and the quote matching behind jumps. */

const readers = createDemoClusterReaders();

async function demoBundle(scenario: DemoScenario): Promise<EvidenceBundle> {
  const incident = demoIncidents.find((i) => i.scenario === scenario);
  const target = incident && targetFromLabels(incident.labels);
  if (!incident || !target) throw new Error(`no demo incident ${scenario}`);
  const startsAt = new Date(Date.now() - incident.startedMinutesAgo * 60_000).toISOString();
  return evidenceBundleSchema.parse(await gatherEvidence(readers, target, { labels: incident.labels, annotations: incident.annotations, fingerprint: incident.fingerprint, startsAt }));
}

const html = (el: Parameters<typeof renderToStaticMarkup>[0]) => renderToStaticMarkup(el);
const text = (markup: string) => markup.replace(/<[^>]+>/g, " ").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/\s+/g, " ");

describe("Changes panel", () => {
  it("shows the revision timeline newest first, each diff against the one before, and the alert start above the rollout", async () => {
    const bundle = await demoBundle("oom-killed");
    const out = html(createElement(ChangesPanel, { bundle }));
    const t = text(out);
    expect(t).toContain("Changes to Deployment llm-chat-vllm");
    expect(t.indexOf("Revision 7")).toBeLessThan(t.indexOf("Revision 6"));
    expect(t.indexOf("Revision 6")).toBeLessThan(t.indexOf("Revision 5"));
    expect(t).toContain("vllm: --max-model-len 8192 → 32768");
    expect(t).toContain("vllm: image vllm/vllm-openai:v0.6.2 → v0.6.3.post1");
    expect(t).toContain("6 min before the alert");
    expect(t).toContain("change-cause: raise the context window to 32k");
    expect(t).toContain("The oldest revision kept");
    // The marker sits before revision 7: every revision predates the alert.
    expect(out.indexOf('data-testid="alert-marker"')).toBeGreaterThan(-1);
    expect(out.indexOf('data-testid="alert-marker"')).toBeLessThan(out.indexOf('data-revision="7"'));
    expect(out).toContain('data-quote="vllm: --max-model-len 8192 → 32768"');
  });

  it("places the alert marker between revisions made after and before the alert start", () => {
    const rev = (n: number, created: string) => ({ metadata: { name: `web-${n}`, creationTimestamp: created, annotations: { "deployment.kubernetes.io/revision": String(n) } } });
    const alert = "2026-12-01T10:00:00Z";
    const diffs = [rev(3, "2026-12-01T10:05:00Z"), rev(2, "2026-12-01T09:00:00Z"), rev(1, "2026-11-20T09:00:00Z")].map((r) => diffRevisions(r, undefined, alert));
    expect(alertMarkerIndex(diffs, alert)).toBe(1);
    expect(alertMarkerIndex(diffs.slice(0, 1), alert)).toBe(1);
    expect(alertMarkerIndex(diffs, undefined)).toBeUndefined();
  });

  it("says why there is no workload instead of showing an empty panel", async () => {
    const bundle = await demoBundle("oom-killed");
    const forbidden: EvidenceBundle = {
      ...bundle,
      workload: undefined,
      errors: [{ part: "workload", code: 403, message: "the service account lacks get on replicasets.apps in namespace ml-serving (add get, list on replicasets.apps to the triage Role in that namespace)" }],
    };
    const t = text(html(createElement(ChangesPanel, { bundle: forbidden })));
    expect(t).toContain("Not gathered (workload, 403)");
    expect(t).toContain("add get, list on replicasets.apps");
    expect(text(html(createElement(ChangesPanel, { bundle: { ...bundle, workload: undefined } })))).toContain("No owning workload was gathered");
  });
});

describe("Neighbourhood panel", () => {
  it("counts unhealthy replicas and highlights the alert's pod", async () => {
    const bundle = await demoBundle("liveness-slow-load");
    const out = html(createElement(NeighbourhoodPanel, { bundle }));
    const t = text(out);
    expect(t).toContain("1 of 4 replicas unhealthy");
    expect(t).toContain("pod- or node-local cause");
    expect(out).toMatch(/<tr[^>]*data-target="true"[^>]*>\s*<td[^>]*>whisper-asr-large-v3-84c7b9d5f6-m9zpl/);
    for (const th of ["Pod", "Phase", "Ready", "Restarts", "Node"]) expect(out).toContain(`<th scope="col" class="p-1">${th}</th>`);
  });

  it("reads all replicas failing as a shared cause", async () => {
    const t = text(html(createElement(NeighbourhoodPanel, { bundle: await demoBundle("oom-killed") })));
    expect(t).toContain("2 of 2 replicas unhealthy");
    expect(t).toContain("shared cause");
  });

  it("highlights the node's memory pressure, its taints and allocatable, and the HPA at its maximum", async () => {
    const node = html(createElement(NeighbourhoodPanel, { bundle: await demoBundle("kv-cache-memory") }));
    expect(node).toMatch(/<tr[^>]*data-quote="MemoryPressure=True \(KubeletHasInsufficientMemory\)[^"]*"[^>]*data-troubled="true"/);
    expect(node).not.toMatch(/data-quote="DiskPressure=False[^"]*"[^>]*data-troubled/);
    expect(text(node)).toContain("node.kubernetes.io/memory-pressure:NoSchedule");
    expect(text(node)).toContain("29094880Ki");
    expect(text(node)).toContain("No HorizontalPodAutoscaler scales Deployment code-assist-7b");
    const hpa = text(html(createElement(NeighbourhoodPanel, { bundle: await demoBundle("cpu-throttling") })));
    expect(hpa).toContain("HorizontalPodAutoscaler reranker-api at its maximum");
    expect(hpa).toContain("ScalingLimited True TooManyReplicas");
  });

  it("names the missing rule for each part that could not be read", async () => {
    const bundle = await demoBundle("kv-cache-memory");
    const t = text(
      html(
        createElement(NeighbourhoodPanel, {
          bundle: {
            ...bundle,
            siblings: undefined,
            node: undefined,
            errors: [
              { part: "siblings", code: 403, message: "the service account lacks list on pods in namespace ml-serving (add get, list on pods to the triage Role)" },
              { part: "node", code: 403, message: "the service account lacks get on nodes, which are cluster-scoped (add get on nodes to the ClusterRole triage-console-nodes)" },
            ],
          },
        }),
      ),
    );
    expect(t).toContain("Not gathered (siblings, 403): the service account lacks list on pods");
    expect(t).toContain("add get on nodes to the ClusterRole");
  });
});

describe("Pod tab", () => {
  it("shows each container's spec, not only its status", async () => {
    const bundle = await demoBundle("oom-killed");
    const t = text(html(createElement(PodTab, { pod: bundle.pod })));
    expect(t).toContain("Container vllm");
    expect(t).toContain("vllm/vllm-openai:v0.6.3.post1");
    expect(t).toContain("cpu=8 memory=24Gi nvidia.com/gpu=1");
    expect(t).toContain("GET /health :8000 · delay 180s · every 15s · timeout 5s · 3 failures");
    expect(t).toContain("--max-model-len 32768");
    expect(t).toContain("lastState: terminated OOMKilled exitCode=137");
    expect(text(html(createElement(PodTab, { pod: null })))).toContain("The pod was not found");
  });
});

describe("evidence quote matching", () => {
  it("finds compact JSON in pretty-printed lines, and a line inside a longer quote", () => {
    expect(quoteScore('    "reason": "OOMKilled",', '"reason":"OOMKilled"')).toBe(2);
    expect(quoteScore("vllm: --max-model-len 8192 → 32768", "revision 7, 6 min before the alert: vllm: --max-model-len 8192 → 32768 and more")).toBe(1);
    expect(quoteScore("True", "MemoryPressure=True")).toBe(0);
    expect(quoteScore("BackOff Back-off restarting failed container vllm", "Back-off restarting … container vllm")).toBe(2);
  });

  it("prefers the earliest full match, then the longest contained text", () => {
    const rows = ["pod phase=Running", "condition Ready=False (ContainersNotReady)", "  \"phase\": \"Running\","];
    expect(bestQuoteMatch(rows, "phase=Running")).toBe(0);
    expect(bestQuoteMatch(rows, '"phase": "Running"')).toBe(2);
    expect(bestQuoteMatch(rows, "nothing like it")).toBe(-1);
  });
});
