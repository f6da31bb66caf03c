import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { targetFromLabels, type Target } from "@/lib/alerts/types";
import { evidenceBundleSchema } from "@/lib/cluster/bundle";
import { gatherEvidence } from "@/lib/cluster/gather";
import { createKubeClusterReaders } from "@/lib/cluster/kube";
import type { Config } from "@/lib/config";
import { demoIncidents, type DemoScenario } from "@/lib/demo/incidents";
import { AppError } from "@/lib/errors";
import { startFakeKube, type FakeKube } from "@/test/fakes/kube-server";

function targetOf(scenario: DemoScenario): Target {
  const incident = demoIncidents.find((i) => i.scenario === scenario);
  const target = incident && targetFromLabels(incident.labels);
  if (!target) throw new Error(`no demo incident ${scenario}`);
  return target;
}

function kubeConfig(kubeconfig: string, over: Partial<Config["kube"]> = {}): Config["kube"] {
  return { kubeconfig, clusterContexts: {}, timeoutMs: 5000, tailLines: 1000, limitBytes: 2 * 1024 * 1024, ...over };
}

/** A nested field of wire JSON, read without casts. */
function field(obj: unknown, dotted: string): unknown {
  let v: unknown = obj;
  for (const key of dotted.split(".")) v = v && typeof v === "object" ? Object.entries(v).find(([k]) => k === key)?.[1] : undefined;
  return v;
}

const logRequests = (fake: FakeKube) => fake.requests.filter((r) => r.path.endsWith("/log"));

let fake: FakeKube;
beforeEach(async () => {
  fake = await startFakeKube();
});
afterEach(async () => {
  await fake.close();
});

describe("kube ClusterReader through @kubernetes/client-node", () => {
  it("gathers a crash-looping pod: pod, current and previous logs, events", async () => {
    const readers = createKubeClusterReaders(kubeConfig(fake.writeKubeconfig()));
    const target = { ...targetOf("hf-unauthorized"), cluster: undefined };
    const out = await readers.forCluster().gather(target);

    expect(out.errors).toEqual([]);
    expect(out.container).toBe("server");
    expect(out.pod).toMatchObject({ kind: "Pod", metadata: { name: target.pod } });
    expect(out.previousLogs).toContain("huggingface_hub.errors.GatedRepoError: 401 Client Error.");
    expect(out.logs).toContain("OSError: You are trying to access a gated repo.");
    expect(out.events.some((e) => e.reason === "BackOff")).toBe(true);

    const logs = logRequests(fake);
    expect(logs.map((r) => r.query.previous ?? "false").sort()).toEqual(["false", "true"]);
    for (const r of logs) {
      expect(r.query).toMatchObject({ container: "server", tailLines: "1000", limitBytes: String(2 * 1024 * 1024) });
      expect(r.query.timestamps ?? "false").toBe("false");
    }
    const eventQuery = fake.requests.find((r) => r.path === "/api/v1/namespaces/ml-serving/events");
    expect(eventQuery?.query.fieldSelector).toBe(`involvedObject.kind=Pod,involvedObject.name=${target.pod}`);
    expect(fake.requests.every((r) => r.authorization === "Bearer test-token")).toBe(true);
  });

  it("picks the failing container of a multi-container pod when none is named", async () => {
    const readers = createKubeClusterReaders(kubeConfig(fake.writeKubeconfig()));
    const target = { ...targetOf("cuda-oom"), container: undefined };
    const out = await readers.forCluster().gather(target);
    // nginx-cache comes first in the spec; sdxl is the one restarting.
    expect(out.container).toBe("sdxl");
    expect(out.previousLogs).toContain("torch.OutOfMemoryError: CUDA out of memory.");
    expect(logRequests(fake).every((r) => r.query.container === "sdxl")).toBe(true);
    const statuses = z.array(z.object({ name: z.string() })).parse(field(out.pod, "status.containerStatuses"));
    expect(statuses.map((s) => s.name).sort()).toEqual(["nginx-cache", "sdxl"]);
  });

  it("asks for previous logs only when a previous container exists", async () => {
    const readers = createKubeClusterReaders(kubeConfig(fake.writeKubeconfig()));
    const out = await readers.forCluster().gather(targetOf("cpu-throttling"));
    expect(out.previousLogs).toBeUndefined();
    expect(out.errors).toEqual([]);
    expect(logRequests(fake).map((r) => r.query.previous ?? "false")).toEqual(["false"]);
    expect(out.logs?.split("\n").length).toBeLessThanOrEqual(1001);
  });

  it("honours tailLines and limitBytes from the options", async () => {
    const readers = createKubeClusterReaders(kubeConfig(fake.writeKubeconfig()));
    const out = await readers.forCluster().gather(targetOf("kv-cache-memory"), { tailLines: 50, limitBytes: 4096 });
    expect(out.tailLines).toBe(50);
    expect(Buffer.byteLength(out.logs ?? "")).toBeLessThanOrEqual(4096);
    expect(logRequests(fake)[0]?.query).toMatchObject({ tailLines: "50", limitBytes: "4096" });
  });

  it("returns the rest with an actionable sentence when pods/log is forbidden", async () => {
    fake.forbid("pods/log");
    const readers = createKubeClusterReaders(kubeConfig(fake.writeKubeconfig()));
    const out = await readers.forCluster().gather(targetOf("oom-killed"));
    expect(out.pod).toBeTruthy();
    expect(out.events.length).toBeGreaterThan(0);
    expect(out.logs).toBeUndefined();
    const parts = out.errors.map((e) => e.part).sort();
    expect(parts).toEqual(["logs", "previousLogs"]);
    for (const e of out.errors) {
      expect(e.code).toBe(403);
      expect(e.message).toBe("the service account lacks get on pods/log in namespace ml-serving (add it to the triage Role in that namespace, deploy/kubernetes/watched-namespaces)");
    }
  });

  it("shows the owner's events for a vanished pod and reads no previous logs", async () => {
    const target = targetOf("oom-killed");
    fake.deletePod(target.namespace, target.pod);
    const readers = createKubeClusterReaders(kubeConfig(fake.writeKubeconfig()));
    const out = await readers.forCluster().gather(target);
    expect(out.pod).toBeNull();
    const podError = out.errors.find((e) => e.part === "pod");
    expect(podError?.code).toBe(404);
    expect(podError?.message).toMatch(/no longer exists; showing its ReplicaSet and Deployment's events/);
    const kinds = new Set(out.events.map((e) => field(e, "involvedObject.kind")));
    expect(kinds.has("ReplicaSet")).toBe(true);
    // The named container's current log is asked for alongside the pod; nothing is asked once it is known gone.
    expect(logRequests(fake).filter((r) => r.query.previous === "true")).toEqual([]);
    expect(out.errors.find((e) => e.part === "logs")).toMatchObject({ code: 404, message: "no logs: they were deleted with the pod" });
    expect(out.logs).toBeUndefined();
    const selectors = fake.requests.map((r) => r.query.fieldSelector).filter(Boolean);
    expect(selectors).toContain("involvedObject.kind=ReplicaSet,involvedObject.name=llm-chat-vllm-7d9f8b6c5d");
    expect(selectors).toContain("involvedObject.kind=Deployment,involvedObject.name=llm-chat-vllm");
  });

  it("says to refresh credentials on 401", async () => {
    const readers = createKubeClusterReaders(kubeConfig(fake.writeKubeconfig([{ name: "stale", token: "expired-token" }])));
    const out = await readers.forCluster().gather(targetOf("oom-killed"));
    expect(out.pod).toBeUndefined();
    const podError = out.errors.find((e) => e.part === "pod");
    expect(podError).toMatchObject({ code: 401, message: expect.stringMatching(/rejected the credentials: refresh the kubeconfig\/token/) });
    expect(out.errors.find((e) => e.part === "events")?.code).toBe(401);
  });

  it("times a hanging read out instead of hanging", async () => {
    fake.hang("pods/log");
    const readers = createKubeClusterReaders(kubeConfig(fake.writeKubeconfig(), { timeoutMs: 400 }));
    const out = await readers.forCluster().gather(targetOf("cuda-oom"));
    expect(out.pod).toBeTruthy();
    const logError = out.errors.find((e) => e.part === "logs");
    expect(logError).toMatchObject({ code: "timeout", message: expect.stringContaining("KUBE_TIMEOUT_MS") });
    expect(out.errors.find((e) => e.part === "previousLogs")?.code).toBe("timeout");
  });

  it("says the API is unreachable when nothing listens", async () => {
    const kubeconfig = fake.writeKubeconfig();
    await fake.close();
    fake = await startFakeKube();
    const readers = createKubeClusterReaders(kubeConfig(kubeconfig, { timeoutMs: 3000 }));
    const out = await readers.forCluster().gather(targetOf("oom-killed"));
    expect(out.errors.find((e) => e.part === "pod")).toMatchObject({ code: "unreachable", message: expect.stringContaining("cannot reach the Kubernetes API at http://127.0.0.1:") });
  });

  it("returns the pod in wire format: the JSON the server sent, string times", async () => {
    const target = targetOf("oom-killed");
    const readers = createKubeClusterReaders(kubeConfig(fake.writeKubeconfig()));
    const out = await readers.forCluster().gather(target);
    const sent = fake.state.pods.find((p) => p.name === target.pod)?.pod;
    expect(out.pod).toEqual(sent);
    expect(typeof field(out.pod, "metadata.creationTimestamp")).toBe("string");
    const sentEvents = fake.state.events.filter((e) => field(e, "involvedObject.name") === target.pod);
    for (const e of out.events) {
      if (field(e, "involvedObject.kind") !== "Pod") continue;
      const original = sentEvents.find((s) => field(s, "metadata.name") === field(e, "metadata.name"));
      expect(original).toBeDefined();
      expect(e.lastTimestamp ?? null).toEqual(original?.lastTimestamp ?? null);
      expect(e.message).toBe(original?.message);
    }
  });

  it("builds a bundle that parses with the evidence schema", async () => {
    const incident = demoIncidents.find((i) => i.scenario === "liveness-slow-load");
    const target = incident && targetFromLabels(incident.labels);
    if (!incident || !target) throw new Error("missing incident");
    const readers = createKubeClusterReaders(kubeConfig(fake.writeKubeconfig(), { clusterContexts: { demo: "fake" } }));
    const bundle = evidenceBundleSchema.parse(await gatherEvidence(readers, target, { labels: incident.labels, annotations: incident.annotations }));
    expect(bundle.alert.labels.alertname).toBe("ModelPodFrequentRestarts");
    expect(bundle.previousLogs).toContain("INFO:     Shutting down");
    expect(bundle.events.some((e) => String(e.message).startsWith("Liveness probe failed: Get \"http://10.0.3.9:8000/health\": context deadline exceeded"))).toBe(true);
  });
});

describe("cluster to kubeconfig context", () => {
  const contexts = [
    { name: "prod", token: "token-prod" },
    { name: "staging", token: "token-staging" },
  ];
  let tokenFake: FakeKube;
  beforeEach(async () => {
    tokenFake = await startFakeKube({ tokens: contexts.map((c) => c.token) });
  });
  afterEach(async () => {
    await tokenFake.close();
  });

  const tokenUsed = async (readers: ReturnType<typeof createKubeClusterReaders>, cluster?: string) => {
    tokenFake.requests.length = 0;
    await readers.forCluster(cluster).gather(targetOf("oom-killed"));
    return new Set(tokenFake.requests.map((r) => r.authorization));
  };

  it("selects the same-named context, a CLUSTER_CONTEXTS mapping, or the current context", async () => {
    const file = tokenFake.writeKubeconfig(contexts, "staging");
    const readers = createKubeClusterReaders(kubeConfig(file, { clusterContexts: { "eu-west": "prod" } }));
    expect(await tokenUsed(readers, "prod")).toEqual(new Set(["Bearer token-prod"]));
    expect(await tokenUsed(readers, "eu-west")).toEqual(new Set(["Bearer token-prod"]));
    expect(await tokenUsed(readers, undefined)).toEqual(new Set(["Bearer token-staging"]));
    expect(await tokenUsed(readers, "staging")).toEqual(new Set(["Bearer token-staging"]));
  });

  it("names CLUSTER_CONTEXTS when no context serves a cluster", async () => {
    const file = tokenFake.writeKubeconfig(contexts, "staging");
    const readers = createKubeClusterReaders(kubeConfig(file));
    let thrown: unknown;
    try {
      readers.forCluster("us-east");
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect(thrown).toMatchObject({ code: "not_configured", hint: expect.stringContaining("CLUSTER_CONTEXTS") });

    const target = { ...targetOf("oom-killed"), cluster: "us-east" };
    const bundle = await gatherEvidence(readers, target, { labels: { alertname: "ModelPodOOMKilled" } });
    expect(bundle.errors[0]).toMatchObject({ part: "pod", code: "not_configured", message: expect.stringContaining("CLUSTER_CONTEXTS") });
    expect(tokenFake.requests).toEqual([]);
  });

  it("rejects a CLUSTER_CONTEXTS mapping to a context the kubeconfig lacks", () => {
    const file = tokenFake.writeKubeconfig(contexts);
    const readers = createKubeClusterReaders(kubeConfig(file, { clusterContexts: { prod: "gke_acme_prod" } }));
    expect(() => readers.forCluster("prod")).toThrow(/CLUSTER_CONTEXTS maps cluster "prod" to context "gke_acme_prod"/);
  });
});

describe("fake API server speaks the wire format", () => {
  const get = async (path: string, token = "test-token") => {
    const r = await fetch(fake.url + path, { headers: { authorization: `Bearer ${token}` } });
    return { status: r.status, type: r.headers.get("content-type"), text: await r.text() };
  };

  it("asks for a container name on a multi-container pod, like the API server", async () => {
    const pod = targetOf("cuda-oom").pod;
    const r = await get(`/api/v1/namespaces/ml-serving/pods/${pod}/log`);
    expect(r.status).toBe(400);
    expect(r.type).toBe("application/json");
    expect(JSON.parse(r.text)).toMatchObject({
      kind: "Status",
      reason: "BadRequest",
      message: `a container name must be specified for pod ${pod}, choose one of: [nginx-cache sdxl]`,
    });
  });

  it("refuses previous logs of a container that never terminated", async () => {
    const pod = targetOf("cpu-throttling").pod;
    const r = await get(`/api/v1/namespaces/ml-serving/pods/${pod}/log?container=reranker&previous=true`);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).message).toBe(`previous terminated container "reranker" in pod "${pod}" not found`);
  });

  it("serves logs as text/plain and rejects unsupported field selectors", async () => {
    const pod = targetOf("cpu-throttling").pod;
    const log = await get(`/api/v1/namespaces/ml-serving/pods/${pod}/log?container=reranker&tailLines=3`);
    expect(log.type).toBe("text/plain");
    expect(log.text.trimEnd().split("\n")).toHaveLength(3);
    const bad = await get(`/api/v1/namespaces/ml-serving/events?fieldSelector=regarding.name=${pod}`);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).message).toBe("field label not supported: regarding.name");
    const notEqual = await get(`/api/v1/namespaces/ml-serving/events?fieldSelector=involvedObject.name%3D${pod},type!=Normal`);
    const items = z.object({ items: z.array(z.object({ type: z.string() })) }).parse(JSON.parse(notEqual.text)).items;
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((e) => e.type === "Warning")).toBe(true);
    expect((await get("/api/v1/namespaces/ml-serving/pods/x", "nope")).status).toBe(401);
  });
});

describe("unreachable hosts", () => {
  it("a server that accepts and never answers still yields a bundle within the timeout", async () => {
    const sockets = new Set<import("node:net").Socket>();
    const silent = http.createServer(() => undefined);
    silent.on("connection", (s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as AddressInfo).port;
    const file = fake.writeKubeconfig();
    const { readFileSync, writeFileSync } = await import("node:fs");
    writeFileSync(file, readFileSync(file, "utf8").replace(fake.url, `http://127.0.0.1:${port}`));
    const readers = createKubeClusterReaders(kubeConfig(file, { timeoutMs: 300 }));
    const out = await readers.forCluster().gather(targetOf("oom-killed"));
    expect(out.errors.map((e) => [e.part, e.code])).toEqual(
      expect.arrayContaining([
        ["pod", "timeout"],
        ["events", "timeout"],
      ]),
    );
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  });
});
