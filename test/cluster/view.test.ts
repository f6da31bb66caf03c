import { describe, expect, it } from "vitest";
import { containerSpec, containerViews, eventRows, viewEvent, viewEvents, viewPod } from "@/lib/cluster/view";
import { summarizePodStatus } from "@/lib/analysis/pod-summary";
import { buildPrompt } from "@/lib/analysis/prompt";
import { buildIssue } from "@/lib/github/issue";
import { sampleBundle, sampleReport } from "../github/fixtures";

const pod = {
  metadata: { name: "web-1", namespace: "shop", ownerReferences: [{ kind: "ReplicaSet", name: "web-5d8f7", controller: true }, "junk"] },
  spec: {
    nodeName: "node-a",
    restartPolicy: "Always",
    containers: [{ name: "web", image: "web:1", resources: { limits: { memory: "1Gi", cpu: 2 } } }],
    initContainers: [{ name: "init", image: "init:1" }],
  },
  status: {
    phase: "Running",
    conditions: [{ type: "Ready", status: "False", reason: "ContainersNotReady" }],
    initContainerStatuses: [{ name: "init", ready: true, restartCount: 0, state: { terminated: { exitCode: 0, reason: "Completed" } } }],
    containerStatuses: [
      {
        name: "web",
        ready: false,
        restartCount: "7",
        state: { waiting: { reason: "CrashLoopBackOff", message: 42 } },
        lastState: { terminated: { exitCode: 137, reason: "OOMKilled" } },
      },
      { ready: true },
      17,
    ],
  },
};

describe("viewPod", () => {
  it("reads the fields downstream uses and drops wrongly typed ones instead of failing", () => {
    const v = viewPod(pod);
    expect(v?.metadata?.ownerReferences).toEqual([{ kind: "ReplicaSet", name: "web-5d8f7", controller: true }]);
    expect(v?.spec?.restartPolicy).toBe("Always");
    expect(v?.status?.containerStatuses).toHaveLength(2);
    expect(v?.status?.containerStatuses[0]?.restartCount).toBeUndefined();
    expect(v?.status?.containerStatuses[0]?.state?.waiting).toEqual({ reason: "CrashLoopBackOff", message: undefined });
    expect(viewPod(null)).toBeUndefined();
  });

  it("lists named containers init first, with their current and last termination", () => {
    const views = containerViews(viewPod(pod));
    expect(views.map((c) => [c.name, c.init, c.restartCount])).toEqual([
      ["init", true, 0],
      ["web", false, 0],
    ]);
    expect(views[1]?.waiting?.reason).toBe("CrashLoopBackOff");
    expect(views[1]?.lastTerminated).toMatchObject({ exitCode: 137, reason: "OOMKilled" });
    expect(containerSpec(viewPod(pod), "web")?.resources?.limits).toEqual({ memory: "1Gi", cpu: 2 });
    expect(containerSpec(viewPod(pod), "init")?.image).toBe("init:1");
  });

  it("is what the status summary is written from", () => {
    const summary = summarizePodStatus(pod);
    expect(summary).toContain("pod shop/web-1 phase=Running node=node-a");
    expect(summary).toContain("container web: image=web:1 ready=false restartCount=0");
    expect(summary).toContain("  lastState: terminated OOMKilled exitCode=137");
    expect(summary).toContain("  requests: none; limits: memory=1Gi cpu=2");
  });
});

const events = [
  { type: "Normal", reason: "Pulled", message: "pulled", lastTimestamp: "2026-01-01T10:05:00Z", involvedObject: { kind: "Pod", name: "web-1" } },
  { type: "Warning", reason: "BackOff", message: "Back-off restarting failed container", count: 12, lastTimestamp: "2026-01-01T10:01:00Z" },
  // events.k8s.io/v1: note, series, regarding, eventTime.
  { type: "Warning", reason: "Unhealthy", note: "Readiness probe failed", series: { count: 4, lastObservedTime: "2026-01-01T10:04:00Z" }, eventTime: "2026-01-01T09:00:00Z", regarding: { kind: "Pod", name: "web-1" } },
  // A field of the wrong type (a proxy or an old fixture) costs that field, not the event.
  { type: "Warning", reason: null, message: "Killing container", metadata: { creationTimestamp: "2026-01-01T10:02:00Z" } },
];

describe("event rows", () => {
  it("flattens core/v1 and events.k8s.io/v1 events: message or note, count or series, last seen", () => {
    expect(viewEvent(events[2])).toEqual({
      type: "Warning",
      reason: "Unhealthy",
      message: "Readiness probe failed",
      count: 4,
      lastSeen: "2026-01-01T10:04:00Z",
      object: "Pod/web-1",
    });
    expect(viewEvent(events[3])).toMatchObject({ reason: "", count: 1, lastSeen: "2026-01-01T10:02:00Z", object: "" });
    expect(viewEvent({})).toEqual({ type: "Normal", reason: "", message: "", count: 1, lastSeen: "", object: "" });
  });

  it("keeps the bundle's order in viewEvents and sorts warnings first, newest first, in eventRows", () => {
    expect(viewEvents(events).map((e) => e.message[0])).toEqual(["p", "B", "R", "K"]);
    expect(eventRows(events).map((e) => e.message)).toEqual([
      "Readiness probe failed",
      "Killing container",
      "Back-off restarting failed container",
      "pulled",
    ]);
  });

  it("gives the prompt and the issue the same rows, in the same order", () => {
    const bundle = sampleBundle({ events });
    const prompt = buildPrompt({ bundle, signals: [] }).userText;
    const { body } = buildIssue({ report: sampleReport(), reportMarkdown: "## Summary\n", bundle, fingerprint: "fp1" });
    const order = eventRows(events).map((e) => e.message);
    const at = (text: string) => order.map((m) => text.indexOf(m));
    for (const text of [prompt, body]) {
      const idx = at(text);
      expect(idx.every((i) => i >= 0)).toBe(true);
      expect([...idx].sort((a, b) => a - b)).toEqual(idx);
    }
    expect(body).toContain("Kubernetes events: 4 (3 warnings)");
  });
});
