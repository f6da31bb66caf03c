import { describe, expect, it } from "vitest";
import { chooseContainer, hasPreviousContainer, ownerCandidates } from "@/lib/cluster/pod";
import { viewPod, type PodView } from "@/lib/cluster/view";
import { sortEvents } from "@/lib/cluster/pod-reader";

function pod(json: unknown): PodView {
  const v = viewPod(json);
  if (!v) throw new Error("not a pod");
  return v;
}

const twoContainers = (statuses: unknown[], init?: { spec: unknown[]; status: unknown[] }) =>
  pod({
    metadata: { name: "p" },
    spec: { containers: [{ name: "proxy" }, { name: "model" }], ...(init ? { initContainers: init.spec } : {}) },
    status: { containerStatuses: statuses, ...(init ? { initContainerStatuses: init.status } : {}) },
  });

describe("chooseContainer", () => {
  const healthy = { name: "proxy", ready: true, restartCount: 0, state: { running: { startedAt: "2026-11-20T10:00:00Z" } } };
  const crashing = { name: "model", ready: false, restartCount: 7, state: { waiting: { reason: "CrashLoopBackOff" } }, lastState: { terminated: { exitCode: 1, reason: "Error" } } };

  it("takes the named container when the pod has it", () => {
    expect(chooseContainer(twoContainers([healthy, crashing]), "proxy")).toBe("proxy");
  });

  it("takes the failing container when the hint is absent or unknown", () => {
    expect(chooseContainer(twoContainers([healthy, crashing]))).toBe("model");
    expect(chooseContainer(twoContainers([healthy, crashing]), "not-there")).toBe("model");
  });

  it("prefers the container with the most restarts among failing ones", () => {
    const a = { name: "proxy", ready: false, restartCount: 2, state: { running: {} } };
    const b = { name: "model", ready: false, restartCount: 9, state: { running: {} } };
    expect(chooseContainer(twoContainers([a, b]))).toBe("model");
  });

  it("takes a failing init container: it blocks the others", () => {
    const init = {
      spec: [{ name: "storage-initializer" }],
      status: [{ name: "storage-initializer", restartCount: 3, state: { waiting: { reason: "CrashLoopBackOff" } }, lastState: { terminated: { exitCode: 1 } } }],
    };
    const waiting = { name: "model", ready: false, restartCount: 0, state: { waiting: { reason: "PodInitializing" } } };
    expect(chooseContainer(twoContainers([{ ...healthy, state: { waiting: { reason: "PodInitializing" } } }, waiting], init))).toBe("storage-initializer");
  });

  it("falls back to the first container of a healthy pod", () => {
    expect(chooseContainer(twoContainers([healthy, { ...healthy, name: "model" }]))).toBe("proxy");
  });
});

describe("hasPreviousContainer", () => {
  it("is true after a restart or a terminated last state, false otherwise", () => {
    expect(hasPreviousContainer({ name: "a", restartCount: 1 })).toBe(true);
    expect(hasPreviousContainer({ name: "a", restartCount: 0, lastState: { terminated: { exitCode: 137, reason: "OOMKilled" } } })).toBe(true);
    expect(hasPreviousContainer({ name: "a", restartCount: 0, lastState: {} })).toBe(false);
    expect(hasPreviousContainer(undefined)).toBe(false);
  });
});

describe("ownerCandidates", () => {
  it("uses ownerReferences and adds the Deployment above a ReplicaSet", () => {
    const v = pod({ metadata: { name: "api-7d9f8b6c5d-x2kqp", ownerReferences: [{ kind: "ReplicaSet", name: "api-7d9f8b6c5d" }] }, spec: { containers: [] } });
    expect(ownerCandidates(v, "api-7d9f8b6c5d-x2kqp")).toEqual([
      { kind: "ReplicaSet", name: "api-7d9f8b6c5d" },
      { kind: "Deployment", name: "api" },
    ]);
  });

  it("adds the CronJob above a scheduled Job", () => {
    const v = pod({ metadata: { ownerReferences: [{ kind: "Job", name: "nightly-eval-29402880" }] }, spec: { containers: [] } });
    expect(ownerCandidates(v, "nightly-eval-29402880-bx7kq")).toContainEqual({ kind: "CronJob", name: "nightly-eval" });
  });

  it("infers owners from a vanished pod's generated name", () => {
    expect(ownerCandidates(undefined, "llm-chat-vllm-7d9f8b6c5d-x2kqp")).toEqual([
      { kind: "ReplicaSet", name: "llm-chat-vllm-7d9f8b6c5d" },
      { kind: "Deployment", name: "llm-chat-vllm" },
    ]);
    expect(ownerCandidates(undefined, "triton-2")).toEqual([{ kind: "StatefulSet", name: "triton" }]);
    expect(ownerCandidates(undefined, "standalone")).toEqual([]);
  });
});

describe("sortEvents", () => {
  it("orders by lastTimestamp, then series.lastObservedTime, eventTime, creationTimestamp", () => {
    const events = [
      { reason: "c", lastTimestamp: "2026-11-20T10:05:00Z" },
      { reason: "a", lastTimestamp: null, eventTime: "2026-11-20T10:01:00.000000Z" },
      { reason: "b", lastTimestamp: null, eventTime: "2026-11-20T09:00:00.000000Z", series: { count: 4, lastObservedTime: "2026-11-20T10:03:00.000000Z" } },
      { reason: "first", metadata: { creationTimestamp: "2026-11-20T09:30:00Z" } },
    ];
    expect(sortEvents(events).map((e) => e.reason)).toEqual(["first", "a", "b", "c"]);
  });
});
