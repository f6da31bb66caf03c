import { existsSync } from "node:fs";
import * as k8s from "@kubernetes/client-node";
import type { Config } from "@/lib/config";
import { AppError } from "@/lib/errors";
import type { ClusterReader, ClusterReaders } from "@/lib/cluster/reader";
import { abortable, callApi as call, toWire } from "@/lib/cluster/kube-client";
import { createKubeWorkloadApi } from "@/lib/cluster/kube-workload";
import { createPodReader, type LogRequest, type PodApi } from "@/lib/cluster/pod-reader";
import { createWorkloadGatherer } from "@/lib/cluster/workload";

function createKubePodApi(kc: k8s.KubeConfig): PodApi {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  return {
    readPod: (namespace, name, signal) =>
      call(signal, async () => toWire(await core.readNamespacedPod({ name, namespace }, abortable(signal)), "V1Pod")),
    readLog: (namespace, name, req: LogRequest, signal) =>
      call(signal, () =>
        core.readNamespacedPodLog(
          {
            name,
            namespace,
            container: req.container,
            previous: req.previous,
            tailLines: req.tailLines,
            limitBytes: req.limitBytes,
            timestamps: false,
          },
          abortable(signal),
        ),
      ),
    listEvents: (namespace, fieldSelector, signal) =>
      call(signal, async () => {
        const list = await core.listNamespacedEvent({ namespace, fieldSelector }, abortable(signal));
        return list.items.map((e) => toWire(e, "CoreV1Event"));
      }),
  };
}

function loadBaseConfig(kubeconfig: string | undefined): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  try {
    if (kubeconfig) kc.loadFromFile(kubeconfig);
    else kc.loadFromDefault();
  } catch (e) {
    throw new AppError("not_configured", `cannot read the kubeconfig${kubeconfig ? ` ${kubeconfig}` : ""}`, {
      hint: "Set KUBECONFIG to a readable kubeconfig file, or run in a pod with a service account.",
      cause: e,
    });
  }
  const cluster = kc.getCurrentCluster();
  // loadFromDefault's last resort when it finds nothing: an unauthenticated localhost:8080.
  if (!kubeconfig && cluster?.name === "cluster" && cluster.server === "http://localhost:8080") {
    throw new AppError("not_configured", "no kubeconfig and no in-cluster service account found", {
      hint: "Set KUBECONFIG (and CLUSTER_CONTEXTS for several clusters), run in a pod with a service account, or start with DEMO=true.",
    });
  }
  return kc;
}

/** The CLUSTER_CONTEXTS value that means the pod's own service account, wherever KUBECONFIG points. */
export const IN_CLUSTER = "in-cluster";

// Where a pod's service-account token, CA and namespace are mounted (what loadFromCluster reads).
const SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/**
 * The kubeconfig context that serves an alert's cluster label: CLUSTER_CONTEXTS' mapping (IN_CLUSTER for
 * the pod's own service account), the current context for CLUSTER_NAME or no label, else a context of
 * the same name. A label that names none of these is refused rather than read from the current context:
 * a pod of the same name in the local cluster is another pod.
 * @throws AppError("not_configured") naming CLUSTER_CONTEXTS when no context serves the cluster.
 */
export function resolveContext(
  kc: k8s.KubeConfig,
  kube: Pick<Config["kube"], "clusterContexts" | "clusterName">,
  cluster?: string,
): string {
  const names = kc.getContexts().map((c) => c.name);
  const current = kc.getCurrentContext();
  if (!cluster) return current;
  const mapped = kube.clusterContexts[cluster];
  if (mapped === IN_CLUSTER) return IN_CLUSTER;
  if (mapped) {
    if (names.includes(mapped)) return mapped;
    throw new AppError("not_configured", `CLUSTER_CONTEXTS maps cluster "${cluster}" to context "${mapped}", which the kubeconfig does not have`, {
      hint: `Use one of the kubeconfig's contexts (${names.join(", ")}) or ${IN_CLUSTER} in CLUSTER_CONTEXTS.`,
    });
  }
  if (cluster === kube.clusterName) return current;
  if (names.includes(cluster)) return cluster;
  throw new AppError(
    "not_configured",
    `the alert is from cluster "${cluster}", and no Kubernetes context is configured for it: set CLUSTER_CONTEXTS (or CLUSTER_NAME if it is the cluster the console runs in)`,
    {
      hint:
        `Add ${cluster}=<kubeconfig context> to CLUSTER_CONTEXTS (contexts: ${names.join(", ") || "none"}), ` +
        `${cluster}=${IN_CLUSTER} for the cluster the console runs in, or set CLUSTER_NAME=${cluster} when the current context is that cluster.`,
    },
  );
}

/** The pod's own service account as a KubeConfig, refused when no token is mounted (not running in a pod). */
function loadInCluster(pathPrefix: string): k8s.KubeConfig {
  if (!existsSync(`${pathPrefix}${SERVICE_ACCOUNT_TOKEN}`)) {
    throw new AppError("not_configured", `CLUSTER_CONTEXTS names ${IN_CLUSTER}, but no service-account token is mounted at ${SERVICE_ACCOUNT_TOKEN}`, {
      hint: `Use ${IN_CLUSTER} only when the console runs in a pod whose service account can read pods (see deploy/kubernetes), or map the cluster to a kubeconfig context.`,
    });
  }
  const kc = new k8s.KubeConfig();
  kc.loadFromCluster(pathPrefix);
  return kc;
}

export interface KubeReadersOptions {
  /** Prefix of the service-account mount for IN_CLUSTER (tests point it at a temp folder). */
  serviceAccountPathPrefix?: string;
}

/**
 * ClusterReaders over @kubernetes/client-node: one KubeConfig and client per kubeconfig context (and
 * one for IN_CLUSTER), built on first use (so a console without a cluster starts).
 */
export function createKubeClusterReaders(config: Config["kube"], options: KubeReadersOptions = {}): ClusterReaders {
  let base: k8s.KubeConfig | undefined;
  let inCluster: ClusterReader | undefined;
  const readers = new Map<string, ClusterReader>();
  const build = (kc: k8s.KubeConfig, contextName: string): ClusterReader => {
    const server = kc.getCurrentCluster()?.server;
    const pods = createPodReader(createKubePodApi(kc), {
      timeoutMs: config.timeoutMs,
      tailLines: config.tailLines,
      limitBytes: config.limitBytes,
      server,
      context: contextName,
    });
    const workload = createWorkloadGatherer(createKubeWorkloadApi(kc), { timeoutMs: config.timeoutMs, server, context: contextName });
    return { gather: pods.gather, gatherWorkload: workload.gather };
  };
  return {
    forCluster(cluster?: string): ClusterReader {
      if (cluster && config.clusterContexts[cluster] === IN_CLUSTER) {
        inCluster ??= build(loadInCluster(options.serviceAccountPathPrefix ?? ""), IN_CLUSTER);
        return inCluster;
      }
      base ??= loadBaseConfig(config.kubeconfig);
      const contextName = resolveContext(base, config, cluster);
      const existing = readers.get(contextName);
      if (existing) return existing;
      const kc = new k8s.KubeConfig();
      kc.loadFromOptions({
        clusters: base.getClusters(),
        users: base.getUsers(),
        contexts: base.getContexts(),
        currentContext: contextName,
      });
      const reader = build(kc, contextName);
      readers.set(contextName, reader);
      return reader;
    },
  };
}
