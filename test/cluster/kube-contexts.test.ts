import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { targetFromLabels, type Target } from "@/lib/alerts/types";
import { gatherEvidence } from "@/lib/cluster/gather";
import { createKubeClusterReaders, IN_CLUSTER } from "@/lib/cluster/kube";
import { parseConfig, type Config } from "@/lib/config";
import { demoIncidents } from "@/lib/demo/incidents";
import { startFakeKube, type FakeKube } from "@/test/fakes/kube-server";

// Which cluster an alert is read from, through @kubernetes/client-node against the loopback API server.
// The fake tells the contexts apart by the bearer token each one sends.

const incident = demoIncidents.find((i) => i.scenario === "oom-killed");
const baseTarget = incident && targetFromLabels(incident.labels);
if (!incident || !baseTarget) throw new Error("no demo incident oom-killed");
const targetIn = (cluster?: string): Target => ({ ...baseTarget, cluster });

function kube(kubeconfig: string, over: Partial<Config["kube"]> = {}): Config["kube"] {
  return { kubeconfig, clusterContexts: {}, timeoutMs: 5000, tailLines: 1000, limitBytes: 2 * 1024 * 1024, ...over };
}

let fake: FakeKube;
let tmp: string;
beforeEach(async () => {
  fake = await startFakeKube({ tokens: ["token-local", "token-staging", "token-sa"] });
  tmp = mkdtempSync(join(tmpdir(), "kube-contexts-"));
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await fake.close();
  rmSync(tmp, { recursive: true, force: true });
});

const tokensUsed = () => [...new Set(fake.requests.map((r) => r.authorization))];

async function bundleFor(readers: ReturnType<typeof createKubeClusterReaders>, cluster?: string) {
  fake.requests.length = 0;
  return gatherEvidence(readers, targetIn(cluster), { labels: { ...incident?.labels, ...(cluster ? { cluster } : {}) } });
}

describe("an alert from a cluster the console has no context for", () => {
  it("is refused with a sentence naming CLUSTER_CONTEXTS, and the local cluster is not read", async () => {
    // One context, as in a pod with only its service account, and no CLUSTER_CONTEXTS.
    const readers = createKubeClusterReaders(kube(fake.writeKubeconfig([{ name: "local", token: "token-local" }])));
    const bundle = await bundleFor(readers, "prod-us");
    expect(fake.requests).toEqual([]);
    expect(bundle.pod).toBeUndefined();
    expect(bundle.errors).toHaveLength(1);
    expect(bundle.errors[0]).toMatchObject({ part: "pod", code: "not_configured" });
    expect(bundle.errors[0]?.message).toContain('cluster "prod-us"');
    expect(bundle.errors[0]?.message).toContain("CLUSTER_CONTEXTS");
    expect(() => readers.forCluster("prod-us")).toThrow(/no Kubernetes context is configured for it: set CLUSTER_CONTEXTS/);
  });

  it("without a cluster label is read from the current context, as before", async () => {
    const readers = createKubeClusterReaders(kube(fake.writeKubeconfig([{ name: "local", token: "token-local" }])));
    const bundle = await bundleFor(readers, undefined);
    expect(bundle.errors).toEqual([]);
    expect(tokensUsed()).toEqual(["Bearer token-local"]);
  });
});

describe("CLUSTER_NAME", () => {
  it("names the cluster the current context serves", async () => {
    const file = fake.writeKubeconfig(
      [
        { name: "local", token: "token-local" },
        { name: "staging", token: "token-staging" },
      ],
      "local",
    );
    const readers = createKubeClusterReaders(kube(file, { clusterName: "prod-eu" }));
    expect((await bundleFor(readers, "prod-eu")).errors).toEqual([]);
    expect(tokensUsed()).toEqual(["Bearer token-local"]);
    await bundleFor(readers, "staging");
    expect(tokensUsed()).toEqual(["Bearer token-staging"]);
    expect((await bundleFor(readers, "prod-us")).errors[0]?.code).toBe("not_configured");
    expect(fake.requests).toEqual([]);
  });

  it("is read from the environment and may not also be mapped in CLUSTER_CONTEXTS", () => {
    expect(parseConfig({ CLUSTER_NAME: "prod-eu" }).kube.clusterName).toBe("prod-eu");
    expect(parseConfig({}).kube.clusterName).toBeUndefined();
    expect(() => parseConfig({ CLUSTER_NAME: "prod-eu", CLUSTER_CONTEXTS: "prod-eu=gke_prod" })).toThrow(/CLUSTER_NAME "prod-eu" is also a key of CLUSTER_CONTEXTS/);
    expect(parseConfig({ CLUSTER_CONTEXTS: "prod-eu=in-cluster,prod-us=gke_us" }).kube.clusterContexts).toEqual({ "prod-eu": IN_CLUSTER, "prod-us": "gke_us" });
  });
});

describe(`CLUSTER_CONTEXTS=<cluster>=${IN_CLUSTER}`, () => {
  let certDir: string;
  let front: tls.Server;
  let frontPort = 0;

  // The in-cluster client speaks https and checks the API server's certificate against ca.crt, so the
  // fake is put behind a TLS front with a self-signed certificate for 127.0.0.1.
  beforeAll(async () => {
    certDir = mkdtempSync(join(tmpdir(), "kube-tls-"));
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
      "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
      "-keyout", join(certDir, "key.pem"), "-out", join(certDir, "cert.pem"),
    ], { stdio: "ignore" });
    front = tls.createServer({ key: readFileSync(join(certDir, "key.pem")), cert: readFileSync(join(certDir, "cert.pem")) }, (socket) => {
      const upstream = net.connect(Number(new URL(fake.url).port), "127.0.0.1");
      socket.pipe(upstream).pipe(socket);
      socket.on("error", () => upstream.destroy());
      upstream.on("error", () => socket.destroy());
    });
    await new Promise<void>((r) => front.listen(0, "127.0.0.1", r));
    const address = front.address();
    frontPort = address && typeof address === "object" ? address.port : 0;
  });
  afterAll(async () => {
    await new Promise<void>((r) => front.close(() => r()));
    rmSync(certDir, { recursive: true, force: true });
  });

  /** The service-account mount a pod gets, laid out under a prefix: token, ca.crt, namespace. */
  function mountServiceAccount(): string {
    const dir = join(tmp, "var/run/secrets/kubernetes.io/serviceaccount");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "token"), "token-sa");
    writeFileSync(join(dir, "ca.crt"), readFileSync(join(certDir, "cert.pem")));
    writeFileSync(join(dir, "namespace"), "monitoring");
    vi.stubEnv("KUBERNETES_SERVICE_HOST", "127.0.0.1");
    vi.stubEnv("KUBERNETES_SERVICE_PORT", String(frontPort));
    return tmp;
  }

  it("reads that cluster with the pod's own service account while KUBECONFIG serves the others", async () => {
    const prefix = mountServiceAccount();
    const file = fake.writeKubeconfig([{ name: "staging", token: "token-staging" }]);
    const readers = createKubeClusterReaders(kube(file, { clusterContexts: { "prod-eu": IN_CLUSTER } }), { serviceAccountPathPrefix: prefix });
    const local = await bundleFor(readers, "prod-eu");
    expect(local.errors).toEqual([]);
    expect(local.pod).toMatchObject({ metadata: { name: baseTarget.pod } });
    expect(tokensUsed()).toEqual(["Bearer token-sa"]);
    await bundleFor(readers, "staging");
    expect(tokensUsed()).toEqual(["Bearer token-staging"]);
    expect((await bundleFor(readers, "prod-us")).errors[0]?.message).toContain("CLUSTER_CONTEXTS");
  });

  it("says no service account is mounted outside a pod", async () => {
    const file = fake.writeKubeconfig([{ name: "staging", token: "token-staging" }]);
    const readers = createKubeClusterReaders(kube(file, { clusterContexts: { "prod-eu": IN_CLUSTER } }), { serviceAccountPathPrefix: join(tmp, "nowhere") });
    const bundle = await bundleFor(readers, "prod-eu");
    expect(bundle.errors[0]).toMatchObject({ code: "not_configured", message: expect.stringContaining("no service-account token is mounted") });
    expect(fake.requests).toEqual([]);
  });
});
