import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { diffRevisions, diffTemplates, diffWorkload, MAX_CHANGE_LINES, MAX_LINE, parseImage, relativeToAlert } from "@/lib/cluster/revision-diff";
import { metaOf, revisionTemplate } from "@/lib/cluster/workload-view";
import { deploymentWorld, podTemplate, statefulSetWorld, type ContainerInput } from "@/test/fixtures/workloads";

const now = new Date("2026-12-06T10:00:00Z");
const alertAt = (secondsAgo: number) => new Date(now.getTime() - secondsAgo * 1000).toISOString();

function replicaSets(before: ContainerInput, after: ContainerInput, createdSecondsAgo = 720) {
  const world = deploymentWorld(now, {
    name: "vllm-chat",
    revisions: [
      { revision: 6, hash: "7d9f8b6c5d", container: before, createdSecondsAgo: 86400 },
      { revision: 7, hash: "5c4b8f9d7b", container: after, createdSecondsAgo, changeCause: "kubectl apply -f chat.yaml" },
    ],
    pods: [],
  });
  const rs = world.objects.filter((o) => o.kind === "ReplicaSet");
  return { previous: rs[0], current: rs[1], revisions: [...rs].reverse() };
}

const args = (len: string, model = "/models/llama-3.1-8b-instruct") => ["--model", model, "--max-model-len", len, "--gpu-memory-utilization", "0.90"];
const template = (c: Partial<ContainerInput>, extra = {}) => podTemplate({ app: "x" }, { image: "vllm/vllm-openai:v0.6.3", ...c }, extra);

describe("revision diff", () => {
  it("reads like the issue's example: revision, time before the alert, image tag and flag", () => {
    const { previous, current } = replicaSets({ image: "vllm/vllm-openai:v0.6.3", args: args("8192") }, { image: "vllm/vllm-openai:v0.6.4", args: args("32768") });
    // The ReplicaSet was created 12 min ago; the alert started 6 min ago.
    const diff = diffRevisions(current, previous, alertAt(360));
    expect(diff.summary[0]).toBe("revision 7, 6 min before the alert: image vllm/vllm-openai:v0.6.3 → v0.6.4, --max-model-len 8192 → 32768");
    expect(diff.summary.slice(1)).toEqual(["server: image vllm/vllm-openai:v0.6.3 → v0.6.4", "server: --max-model-len 8192 → 32768"]);
    expect(diff.current).toEqual({ name: "vllm-chat-5c4b8f9d7b", revision: 7, createdAt: "2026-12-06T09:48:00Z", changeCause: "kubectl apply -f chat.yaml" });
    expect(diff.previous?.revision).toBe(6);
    expect(diff.minutesBeforeAlert).toBe(6);
    expect(diff.changes.map((c) => [c.category, c.field, c.before, c.after])).toEqual([
      ["image", "image", "vllm/vllm-openai:v0.6.3", "vllm/vllm-openai:v0.6.4"],
      ["args", "--max-model-len", "8192", "32768"],
    ]);
  });

  it("takes the newest two revisions of a bundle workload, whatever their order", () => {
    const { revisions } = replicaSets({ image: "a:1" }, { image: "a:2" });
    expect(diffWorkload({ revisions: [...revisions].reverse() })?.summary[0]).toBe("revision 7, created 2026-12-06T09:48:00Z: image a:1 → 2");
    expect(diffWorkload({ revisions: revisions.slice(0, 1) })?.summary[0]).toBe("revision 7, created 2026-12-06T09:48:00Z: no earlier revision to compare with");
    expect(diffWorkload({ revisions: [] })).toBeUndefined();
  });

  it("says when it rolled out relative to the alert", () => {
    expect(relativeToAlert(6)).toBe("6 min before the alert");
    expect(relativeToAlert(125)).toBe("2 h 5 min before the alert");
    expect(relativeToAlert(-3)).toBe("3 min after the alert started");
    expect(relativeToAlert(0)).toBe("at the alert start");
    expect(relativeToAlert(3 * 24 * 60)).toBe("3 days before the alert");
  });

  it("marks model paths and storage URIs as model changes, in args, env and init containers", () => {
    const before = template(
      { args: args("8192", "meta-llama/Llama-3.1-8B-Instruct"), env: [{ name: "STORAGE_URI", value: "gs://models/llama/v2" }] },
      { initContainers: [{ name: "storage-initializer", image: "kserve/storage-initializer:v0.14.0", args: ["gs://models/llama/v2", "/mnt/models"] }] },
    );
    const after = template(
      { args: args("8192", "meta-llama/Llama-3.1-70B-Instruct"), env: [{ name: "STORAGE_URI", value: "gs://models/llama/v3" }] },
      { initContainers: [{ name: "storage-initializer", image: "kserve/storage-initializer:v0.14.0", args: ["gs://models/llama/v3", "/mnt/models"] }] },
    );
    const changes = diffTemplates(before, after);
    expect(changes.map((c) => [c.category, c.container, c.text])).toEqual([
      ["model", "storage-initializer", "command gs://models/llama/v2 /mnt/models → gs://models/llama/v3 /mnt/models"],
      ["model", "server", "--model meta-llama/Llama-3.1-8B-Instruct → meta-llama/Llama-3.1-70B-Instruct"],
      ["model", "server", "env STORAGE_URI gs://models/llama/v2 → gs://models/llama/v3"],
    ]);
  });

  it("shows env names, plain values, secret references as references, and never a secret value", () => {
    const secretA = "hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
    const secretB = "hf_ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210";
    const before = template({
      env: [
        { name: "HF_TOKEN", value: secretA },
        { name: "LOG_LEVEL", value: "info" },
        { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } },
      ],
      args: ["--api-key", "sk-live-abcdefghijklmnop1234"],
    });
    const after = template({
      env: [
        { name: "HF_TOKEN", value: secretB },
        { name: "LOG_LEVEL", value: "debug" },
        { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db-v2", key: "password" } } },
        { name: "VLLM_ATTENTION_BACKEND", value: "FLASHINFER" },
      ],
      args: ["--api-key", "sk-live-zyxwvutsrqponmlk9876"],
    });
    const changes = diffTemplates(before, after);
    expect(changes.map((c) => c.text)).toEqual([
      "--api-key changed (value redacted)",
      "env HF_TOKEN changed (value redacted)",
      "env LOG_LEVEL info → debug",
      "env DB_PASSWORD from secret db/password → from secret db-v2/password",
      "env VLLM_ATTENTION_BACKEND=FLASHINFER added",
    ]);
    const text = JSON.stringify(changes);
    for (const s of [secretA, secretB, "sk-live-abcdefghijklmnop1234", "sk-live-zyxwvutsrqponmlk9876"]) expect(text).not.toContain(s);
  });

  it("diffs digests, resources, probes, volumes, mounts and node selection", () => {
    const before = template(
      { image: "registry.local:5000/vllm/vllm-openai:v0.6.3@sha256:" + "a".repeat(64), memory: "24Gi", gpu: "1", readinessDelay: 30 },
      { volumes: [{ name: "model-cache", persistentVolumeClaim: { claimName: "models-v1" } }], tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }] },
    );
    const after = template(
      { image: "registry.local:5000/vllm/vllm-openai:v0.6.3@sha256:" + "b".repeat(64), memory: "32Gi", gpu: "2", readinessDelay: 120 },
      {
        volumes: [{ name: "model-cache", persistentVolumeClaim: { claimName: "models-v2" } }],
        nodeSelector: { "cloud.google.com/gke-accelerator": "nvidia-a100-80gb" },
        tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }, { key: "spot", operator: "Equal", value: "true", effect: "NoSchedule" }],
      },
    );
    expect(diffTemplates(before, after).map((c) => c.text)).toEqual([
      "image registry.local:5000/vllm/vllm-openai:v0.6.3 digest sha256:aaaaaaaaaaaa → sha256:bbbbbbbbbbbb",
      "memory request 24Gi → 32Gi",
      "nvidia.com/gpu request 1 → 2",
      "memory limit 24Gi → 32Gi",
      "nvidia.com/gpu limit 1 → 2",
      "readinessProbe.initialDelaySeconds 30 → 120",
      "volume model-cache persistentVolumeClaim models-v1 → persistentVolumeClaim models-v2",
      "nodeSelector cloud.google.com/gke-accelerator nvidia-l4 → nvidia-a100-80gb",
      "toleration spot=true:NoSchedule added",
    ]);
    expect(parseImage("registry.local:5000/vllm/vllm-openai")).toEqual({ repo: "registry.local:5000/vllm/vllm-openai" });
  });

  it("reads a rollout restart and ControllerRevisions", () => {
    const a = template({});
    const b = { ...template({}), metadata: { labels: { app: "x" }, annotations: { "kubectl.kubernetes.io/restartedAt": "2026-12-06T09:50:00Z" } } };
    expect(diffTemplates(a, b).map((c) => c.text)).toEqual(["restarted (kubectl rollout restart at 2026-12-06T09:50:00Z)"]);

    const sts = statefulSetWorld(now, "triton", [
      { revision: 3, hash: "6c8f9d7b4", container: { image: "nvcr.io/nvidia/tritonserver:24.08-py3" }, createdSecondsAgo: 86400 },
      { revision: 4, hash: "7f5d8c9b6", container: { image: "nvcr.io/nvidia/tritonserver:24.09-py3" }, createdSecondsAgo: 1800 },
    ], 1);
    const crs = sts.objects.filter((o) => o.kind === "ControllerRevision");
    expect(revisionTemplate(crs[0])).not.toHaveProperty("$patch");
    expect(diffRevisions(crs[1], crs[0], alertAt(0)).summary[0]).toBe("revision 4, 30 min before the alert: image nvcr.io/nvidia/tritonserver:24.08-py3 → 24.09-py3");
    expect(metaOf(crs[1]).name).toBe("triton-7f5d8c9b6");
  });

  it("bounds the summary: at most MAX_CHANGE_LINES lines of bounded length", () => {
    const env = (v: string) => Array.from({ length: 100 }, (_, i) => ({ name: `VAR_${i}`, value: `${v}-${"x".repeat(500)}` }));
    const diff = diffRevisions(
      { metadata: { name: "b", annotations: { "deployment.kubernetes.io/revision": "2" } }, spec: { template: template({ env: env("b") }) } },
      { metadata: { name: "a", annotations: { "deployment.kubernetes.io/revision": "1" } }, spec: { template: template({ env: env("a") }) } },
    );
    expect(diff.changes).toHaveLength(100);
    expect(diff.summary).toHaveLength(MAX_CHANGE_LINES + 2);
    expect(diff.summary[0]).toContain("(+97 more)");
    for (const line of diff.summary) expect(line.length).toBeLessThanOrEqual(2 * MAX_LINE + 20);
  });

  it("property: a revision diffed with itself is empty", () => {
    const token = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,12}$/);
    const container = fc.record({
      name: token,
      image: fc.oneof(token, fc.tuple(token, token).map(([r, t]) => `${r}:${t}`)),
      args: fc.array(fc.oneof(token, token.map((t) => `--${t}`), fc.tuple(token, token).map(([k, v]) => `--${k}=${v}`)), { maxLength: 8 }),
      env: fc.array(fc.record({ name: token.map((t) => t.toUpperCase()), value: fc.string({ maxLength: 20 }) }), { maxLength: 5 }),
      resources: fc.record({ limits: fc.dictionary(token, token, { maxKeys: 3 }) }),
      readinessProbe: fc.jsonValue({ maxDepth: 3 }),
    });
    const spec = fc.record({
      containers: fc.uniqueArray(container, { selector: (c) => c.name, maxLength: 3 }),
      nodeSelector: fc.dictionary(token, token, { maxKeys: 3 }),
      tolerations: fc.array(fc.record({ key: token, operator: fc.constantFrom("Exists", "Equal"), value: token, effect: fc.constantFrom("NoSchedule", "NoExecute") }), { maxLength: 3 }),
      affinity: fc.jsonValue({ maxDepth: 3 }),
      volumes: fc.uniqueArray(fc.record({ name: token, emptyDir: fc.constant({}) }), { selector: (v) => v.name, maxLength: 3 }),
    });
    fc.assert(
      fc.property(spec, fc.jsonValue({ maxDepth: 3 }), (s, junk) => {
        const rev = { metadata: { name: "r", creationTimestamp: "2026-12-06T09:00:00Z", annotations: { "deployment.kubernetes.io/revision": "3" } }, spec: { template: { metadata: {}, spec: s } } };
        expect(diffTemplates({ spec: s }, structuredClone({ spec: s }))).toEqual([]);
        expect(diffRevisions(rev, structuredClone(rev)).changes).toEqual([]);
        // Arbitrary JSON as a spec never throws and never differs from itself.
        const j = { spec: { containers: [], extra: junk } };
        expect(diffTemplates(j, structuredClone(j))).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
