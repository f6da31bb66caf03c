import { describe, expect, it } from "vitest";
import { targetFromLabels } from "@/lib/alerts/types";
import { evidenceBundleSchema, type EvidenceBundle } from "@/lib/cluster/bundle";
import { gatherEvidence } from "@/lib/cluster/gather";
import { ISSUE_BODY_LIMIT, buildIssue } from "@/lib/github/issue";
import { CHANGES_LIMIT, NEIGHBOURHOOD_LIMIT, changesSection, neighbourhoodSection } from "@/lib/github/issue-workload";
import { createDemoClusterReaders } from "@/lib/demo/cluster";
import { demoIncidents, type DemoScenario } from "@/lib/demo/incidents";
import { SAMPLE_MARKDOWN, linkableReferences, parseMarkdown, sampleBundle, sampleReport } from "./fixtures";

/** Issue 16, item 8: the diff and the neighbourhood in collapsed sections of the GitHub issue, inside the size bound. */

const FP = "3f9a1c7e52d4b860";
const URL = "http://console.example:3000/analyses/7";
const readers = createDemoClusterReaders();

async function demoBundle(scenario: DemoScenario): Promise<EvidenceBundle> {
  const incident = demoIncidents.find((i) => i.scenario === scenario);
  const target = incident && targetFromLabels(incident.labels);
  if (!incident || !target) throw new Error(`no demo incident ${scenario}`);
  const startsAt = new Date(Date.now() - incident.startedMinutesAgo * 60_000).toISOString();
  return evidenceBundleSchema.parse(await gatherEvidence(readers, target, { labels: incident.labels, annotations: incident.annotations, fingerprint: incident.fingerprint, startsAt }));
}

const build = (bundle: EvidenceBundle) => buildIssue({ report: sampleReport(), reportMarkdown: SAMPLE_MARKDOWN, bundle, fingerprint: FP, analysisUrl: URL }).body;
const prose = (s: string) => s;

/** A ReplicaSet revision whose one container carries `env`. */
function revision(n: number, minutesAgo: number, env: Array<{ name: string; value: string }>, cause?: string): Record<string, unknown> {
  return {
    metadata: {
      name: `web-${n}abc`,
      creationTimestamp: new Date(Date.now() - minutesAgo * 60_000).toISOString().replace(/\.\d{3}Z$/, "Z"),
      annotations: { "deployment.kubernetes.io/revision": String(n), ...(cause ? { "kubernetes.io/change-cause": cause } : {}) },
    },
    spec: { template: { spec: { containers: [{ name: "web", image: "web:1", env }] } } },
  };
}

describe("issue: what changed and the neighbourhood", () => {
  it("shows the rollout's diff and the replicas, node and HPA in collapsed sections right after the report", async () => {
    const body = build(await demoBundle("oom-killed"));
    expect(body).toContain("<details><summary>What changed: revision 7, 6 min before the alert: --max-model-len 8192 → 32768</summary>");
    expect(body).toMatch(/- \*\*Revision 7\*\*, 6 min before the alert \(`llm-chat-vllm-7d9f8b6c5d`; change-cause `raise the context window to 32k[^`]*`\)\n\n```text\nvllm: --max-model-len 8192 → 32768\n```/);
    expect(body).toContain("vllm: image vllm/vllm-openai:v0.6.2 → v0.6.3.post1");
    expect(body).toContain("<details><summary>Neighbourhood: 2 of 2 replicas unhealthy · node gke-ml-demo-l4-pool-3f2a1b7c-9xkq</summary>");
    expect(body).toMatch(/\| \*\*llm-chat-vllm-7d9f8b6c5d-x2kqp \(this pod\)\*\* \| Running \| 2\/2 \| 3 \| gke-ml-demo-l4-pool-3f2a1b7c-9xkq \| OOMKilled \|/);
    const order = ["## Summary", "What changed:", "Neighbourhood:", "Raw logs:", "### Alert metadata"].map((s) => body.indexOf(s));
    expect(order.every((v) => v >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(parseMarkdown(body).unclosed).toBe(false);
  });

  it("highlights a node under memory pressure and an HPA at its maximum", async () => {
    const pressure = build(await demoBundle("kv-cache-memory"));
    expect(pressure).toContain("node gke-ml-demo-l4-pool-3f2a1b7c-w8rd: MemoryPressure</summary>");
    expect(pressure).toContain("- ⚠ MemoryPressure=True (KubeletHasInsufficientMemory): kubelet has insufficient memory available");
    expect(pressure).toContain("`node.kubernetes.io/memory-pressure:NoSchedule`");
    const hpa = build(await demoBundle("cpu-throttling"));
    expect(hpa).toContain("HPA 3/3 (at max)</summary>");
    expect(hpa).toContain("**HPA reranker-api: 3 current, 3 desired, min 2, max 3** — at its maximum");
  });

  it("adds no section when the bundle has no workload, siblings, node or HPA", () => {
    const body = build(sampleBundle());
    expect(body).not.toContain("What changed:");
    expect(body).not.toContain("Neighbourhood:");
  });

  it("bounds each section, dropping older revisions and extra pods with a note, and keeps the body under the limit", async () => {
    const wide = (n: number, v: string) => Array.from({ length: 60 }, (_, i) => ({ name: `SETTING_${i}`, value: `${v}-${"x".repeat(150)}-${n}` }));
    const revisions = [5, 4, 3, 2, 1].map((n) => revision(n, n * 600, wide(n, `v${n}`)));
    const base = await demoBundle("liveness-slow-load");
    const [sibling] = base.siblings ?? [];
    const siblings = Array.from({ length: 50 }, (_, i) => ({ ...sibling, metadata: { name: `whisper-${"z".repeat(200)}-${i}` } }));
    const bundle: EvidenceBundle = { ...base, workload: { kind: "Deployment", name: "web", object: {}, revisions, owners: [] }, siblings };
    const changes = changesSection(bundle, prose, "see them all in the console") ?? "";
    expect(changes.length).toBeLessThanOrEqual(CHANGES_LIMIT);
    expect(changes).toMatch(/> ✂️ \d older revisions not shown to fit GitHub's limit; see them all in the console\./);
    expect(changes).toContain("Revision 5");
    const hood = neighbourhoodSection(bundle, prose, "see them all in the console") ?? "";
    expect(hood.length).toBeLessThanOrEqual(NEIGHBOURHOOD_LIMIT);
    expect(hood).toContain("_30 more pods not listed._");
    const short = neighbourhoodSection(bundle, prose, "see them all in the console", 2_000) ?? "";
    expect(short.length).toBeLessThanOrEqual(2_000);
    expect(short).toMatch(/> ✂️ \d+ more lines not shown to fit GitHub's limit; see them all in the console\.\n\n<\/details>$/);
    const body = build({ ...bundle, logs: "x".repeat(200_000), previousLogs: "y\n".repeat(100_000) });
    expect(body.length).toBeLessThanOrEqual(ISSUE_BODY_LIMIT);
    expect(body).toContain("What changed:");
    expect(parseMarkdown(body).unclosed).toBe(false);
  });

  it("pings nobody and cannot be broken out of by hostile change-causes and values", async () => {
    const hostile = "```\n</details>\n@admin fixes #12";
    const base = await demoBundle("oom-killed");
    const bundle: EvidenceBundle = {
      ...base,
      workload: { kind: "Deployment", name: "web", object: {}, owners: [], revisions: [revision(2, 5, [{ name: "NOTE", value: hostile }], "@oncall see #99 </details>"), revision(1, 600, [{ name: "NOTE", value: "ok" }])] },
    };
    const body = build(bundle);
    const parsed = parseMarkdown(body);
    expect(parsed.unclosed).toBe(false);
    expect(linkableReferences(parsed.prose)).toEqual([]);
    // Outside code, every section closes exactly once: the hostile </details> stays inside a code span or fence.
    const opens = parsed.outsideLines.filter((l) => l.text.startsWith("<details>")).length;
    expect(parsed.outsideLines.filter((l) => l.text.trim() === "</details>").length).toBe(opens);
    expect(parsed.blocks.some((b) => b.content.includes("</details>") && b.content.includes("@admin fixes #12"))).toBe(true);
  });
});
