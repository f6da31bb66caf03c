import * as k8s from "@kubernetes/client-node";
import { z } from "zod";
import type { WorkloadKind } from "@/lib/cluster/bundle";
import { abortable, callApi as call, toWire } from "@/lib/cluster/kube-client";
import type { WireObject } from "@/lib/cluster/pod-reader";
import type { WorkloadApi } from "@/lib/cluster/workload";

const KSERVE = { group: "serving.kserve.io", version: "v1beta1", plural: "inferenceservices" } as const;
const customObjectSchema = z.record(z.string(), z.unknown());

/**
 * The neighbourhood reads over @kubernetes/client-node: apps/v1, batch/v1, autoscaling/v2, nodes and KServe's
 * InferenceService, each returned as the JSON the API server sent. The RBAC each needs is in deploy/kubernetes.
 */
export function createKubeWorkloadApi(kc: k8s.KubeConfig): WorkloadApi {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const batch = kc.makeApiClient(k8s.BatchV1Api);
  const autoscaling = kc.makeApiClient(k8s.AutoscalingV2Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);

  const readWorkload = async (kind: WorkloadKind, namespace: string, name: string, signal: AbortSignal): Promise<WireObject> => {
    const o = abortable(signal);
    switch (kind) {
      case "Deployment":
        return toWire(await apps.readNamespacedDeployment({ name, namespace }, o), "V1Deployment");
      case "ReplicaSet":
        return toWire(await apps.readNamespacedReplicaSet({ name, namespace }, o), "V1ReplicaSet");
      case "StatefulSet":
        return toWire(await apps.readNamespacedStatefulSet({ name, namespace }, o), "V1StatefulSet");
      case "DaemonSet":
        return toWire(await apps.readNamespacedDaemonSet({ name, namespace }, o), "V1DaemonSet");
      case "Job":
        return toWire(await batch.readNamespacedJob({ name, namespace }, o), "V1Job");
    }
  };

  return {
    readPod: (namespace, name, signal) =>
      call(signal, async () => toWire(await core.readNamespacedPod({ name, namespace }, abortable(signal)), "V1Pod")),
    readWorkload: (kind, namespace, name, signal) => call(signal, () => readWorkload(kind, namespace, name, signal)),
    listReplicaSets: (namespace, labelSelector, signal) =>
      call(signal, async () => {
        const list = await apps.listNamespacedReplicaSet({ namespace, labelSelector }, abortable(signal));
        return list.items.map((x) => toWire(x, "V1ReplicaSet"));
      }),
    listControllerRevisions: (namespace, labelSelector, signal) =>
      call(signal, async () => {
        const list = await apps.listNamespacedControllerRevision({ namespace, labelSelector }, abortable(signal));
        return list.items.map((x) => toWire(x, "V1ControllerRevision"));
      }),
    listPods: (namespace, labelSelector, limit, signal) =>
      call(signal, async () => {
        const list = await core.listNamespacedPod({ namespace, labelSelector, limit }, abortable(signal));
        return list.items.map((x) => toWire(x, "V1Pod"));
      }),
    readNode: (name, signal) => call(signal, async () => toWire(await core.readNode({ name }, abortable(signal)), "V1Node")),
    listHorizontalPodAutoscalers: (namespace, signal) =>
      call(signal, async () => {
        const list = await autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace }, abortable(signal));
        return list.items.map((x) => toWire(x, "V2HorizontalPodAutoscaler"));
      }),
    readInferenceService: (namespace, name, signal) =>
      call(signal, async () => {
        // A custom object comes back as parsed JSON, untyped: keep it only when it is an object.
        const body: unknown = await custom.getNamespacedCustomObject({ ...KSERVE, namespace, name }, abortable(signal));
        return customObjectSchema.parse(body);
      }),
  };
}
