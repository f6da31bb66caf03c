import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { z } from "zod";
import { parseConfig } from "@/lib/config";
import { jobDrainTimeoutMs } from "@/lib/server/shutdown";
import { DEPLOY, exists, readYamlDocs, run } from "./helpers";

// How the console is watched and stopped in Kubernetes: Prometheus scrapes /api/metrics with the token
// the console checks, and the pod's grace period lets a drain finish before the kubelet's SIGKILL.

const K8S = join(DEPLOY, "kubernetes");
const COMPONENT = join(K8S, "optional", "servicemonitor");

const deployment = z
  .object({
    kind: z.literal("Deployment"),
    metadata: z.object({ namespace: z.string() }),
    spec: z.object({
      template: z.object({
        metadata: z.object({ labels: z.record(z.string(), z.string()), annotations: z.record(z.string(), z.string()).optional() }),
        spec: z.object({
          terminationGracePeriodSeconds: z.number().optional(),
          containers: z.array(
            z
              .object({
                name: z.string(),
                ports: z.array(z.object({ name: z.string(), containerPort: z.number() })),
                env: z.array(
                  z.object({
                    name: z.string(),
                    value: z.string().optional(),
                    valueFrom: z.object({ secretKeyRef: z.object({ name: z.string(), key: z.string() }) }).optional(),
                  }),
                ),
                lifecycle: z.object({ preStop: z.object({ exec: z.object({ command: z.array(z.string()) }) }) }).optional(),
              })
              .loose(),
          ),
        }),
      }),
    }),
  })
  .loose()
  .parse(readYamlDocs(join(K8S, "deployment.yaml"))[0]);
const pod = deployment.spec.template;
const console_ = pod.spec.containers.find((c) => c.name === "console");
const service = z
  .object({
    kind: z.literal("Service"),
    metadata: z.object({ labels: z.record(z.string(), z.string()) }),
    spec: z.object({ ports: z.array(z.object({ name: z.string(), port: z.number(), targetPort: z.union([z.string(), z.number()]) })) }),
  })
  .loose()
  .parse(readYamlDocs(join(K8S, "service.yaml"))[0]);
const secretKeys = Object.keys(
  z.object({ stringData: z.record(z.string(), z.string()) }).loose().parse(readYamlDocs(join(K8S, "secret.example.yaml"))[0]).stringData,
);

const tmp = mkdtempSync(join(tmpdir(), "k8s-obs-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("observability and shutdown in the Kubernetes manifests", () => {
  it("offers a ServiceMonitor that scrapes /api/metrics with METRICS_BEARER_TOKEN's Secret key", () => {
    expect(exists(join(COMPONENT, "kustomization.yaml")), "deploy/kubernetes/optional/servicemonitor").toBe(true);
    const sm = z
      .object({
        apiVersion: z.literal("monitoring.coreos.com/v1"),
        kind: z.literal("ServiceMonitor"),
        metadata: z.object({ namespace: z.string() }),
        spec: z.object({
          selector: z.object({ matchLabels: z.record(z.string(), z.string()) }),
          endpoints: z.array(
            z.object({
              port: z.string(),
              path: z.string(),
              authorization: z.object({ type: z.literal("Bearer"), credentials: z.object({ name: z.string(), key: z.string() }) }),
            }),
          ),
        }),
      })
      .parse(readYamlDocs(join(COMPONENT, "servicemonitor.yaml"))[0]);
    // The Secret is read from the ServiceMonitor's namespace: the console's.
    expect(sm.metadata.namespace).toBe(deployment.metadata.namespace);
    for (const [k, v] of Object.entries(sm.spec.selector.matchLabels)) expect(service.metadata.labels[k]).toBe(v);
    const [endpoint] = sm.spec.endpoints;
    expect(endpoint?.path).toBe("/api/metrics");
    // The named Service port leads to the container port Next serves /api/metrics on.
    const svcPort = service.spec.ports.find((p) => p.name === endpoint?.port);
    expect(svcPort, `Service port ${endpoint?.port}`).toBeDefined();
    const nextPort = Number(console_?.env.find((e) => e.name === "PORT")?.value);
    expect(console_?.ports.find((p) => p.name === svcPort?.targetPort || p.containerPort === svcPort?.targetPort)?.containerPort).toBe(nextPort);
    const token = console_?.env.find((e) => e.name === "METRICS_BEARER_TOKEN")?.valueFrom?.secretKeyRef;
    expect(endpoint?.authorization.credentials).toEqual({ name: token?.name, key: token?.key });
    expect(secretKeys).toContain(token?.key);
  });

  it("annotates the pod for annotation-based Prometheus discovery", () => {
    const nextPort = console_?.env.find((e) => e.name === "PORT")?.value;
    expect(pod.metadata.annotations).toMatchObject({ "prometheus.io/scrape": "true", "prometheus.io/port": nextPort, "prometheus.io/path": "/api/metrics" });
  });

  it("gives a draining pod longer than the Gemini deadline and the drain around it", () => {
    const env = Object.fromEntries((console_?.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
    const config = parseConfig(env);
    const preStop = console_?.lifecycle?.preStop.exec.command;
    const preStopSeconds = preStop?.[0] === "sleep" ? Number(preStop[1]) : 0;
    const grace = pod.spec.terminationGracePeriodSeconds ?? 30;
    expect(config.gemini.timeoutMs).toBeGreaterThan(0);
    // preStop runs inside the grace period; the drain needs its job timeout plus a few seconds to close.
    expect(grace * 1000).toBeGreaterThanOrEqual(preStopSeconds * 1000 + jobDrainTimeoutMs(config) + 10_000);
  });

  it.runIf(exists("/usr/bin/kubectl") || exists("/usr/local/bin/kubectl"))("builds with kustomize with the ServiceMonitor component", async () => {
    const copy = join(tmp, "kubernetes");
    cpSync(K8S, copy, { recursive: true });
    const k = readFileSync(join(copy, "kustomization.yaml"), "utf8");
    expect(k).toMatch(/^# {3}- optional\/servicemonitor$/m);
    writeFileSync(join(copy, "kustomization.yaml"), `${k}\ncomponents:\n  - optional/servicemonitor\n`);
    const built = await run("kubectl", ["kustomize", copy]);
    expect(built.code, built.stderr).toBe(0);
    const docs = parseAllDocuments(built.stdout).map((d) => d.toJS() as { kind?: string; metadata?: { namespace?: string } });
    expect(docs.find((d) => d.kind === "ServiceMonitor")?.metadata?.namespace).toBe("monitoring");
  });
});
