import type { clock, Json } from "@/lib/demo/k8s-objects";

/**
 * The demo cluster's nodes as `GET /api/v1/nodes/{name}` returns them (without status.images, which the
 * gatherer drops anyway). GPU_NODE_C is under memory pressure: the kubelet reports it and taints the node.
 */

export const GPU_NODE_A = "gke-ml-demo-l4-pool-3f2a1b7c-9xkq";
export const GPU_NODE_B = "gke-ml-demo-l4-pool-3f2a1b7c-t2mz";
export const GPU_NODE_C = "gke-ml-demo-l4-pool-3f2a1b7c-w8rd";
export const CPU_NODE = "gke-ml-demo-cpu-pool-8d1e4f20-q7vn";

type Clock = ReturnType<typeof clock>;

interface NodeInput {
  name: string;
  uid: string;
  internalIP: string;
  gpu: boolean;
  /** Seconds ago the kubelet started reporting MemoryPressure; undefined: no pressure. */
  memoryPressureSince?: number;
}

function condition(c: Clock, type: string, bad: boolean, since: number, ok: [string, string], trouble: [string, string]): Json {
  const [reason, message] = bad ? trouble : ok;
  return { type, status: bad ? "True" : "False", lastHeartbeatTime: c.rfc(12), lastTransitionTime: c.rfc(since), reason, message };
}

function nodeJson(n: NodeInput, c: Clock): Json {
  const pressure = n.memoryPressureSince !== undefined;
  const since = 21 * 86400;
  return {
    kind: "Node",
    apiVersion: "v1",
    metadata: {
      name: n.name,
      uid: n.uid,
      resourceVersion: String(48_390_000 + n.internalIP.length * 17),
      creationTimestamp: c.rfc(since),
      labels: {
        "kubernetes.io/hostname": n.name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "node.kubernetes.io/instance-type": n.gpu ? "g2-standard-8" : "n2-standard-8",
        "topology.kubernetes.io/zone": "europe-west4-a",
        ...(n.gpu ? { "cloud.google.com/gke-accelerator": "nvidia-l4" } : {}),
      },
      annotations: { "node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true" },
    },
    spec: {
      podCIDR: `10.52.${n.internalIP.split(".").at(-1) ?? "0"}.0/24`,
      providerID: `gce://ml-demo/europe-west4-a/${n.name}`,
      ...(n.gpu || pressure
        ? {
            taints: [
              ...(n.gpu ? [{ key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" }] : []),
              ...(pressure ? [{ key: "node.kubernetes.io/memory-pressure", effect: "NoSchedule", timeAdded: c.rfc(n.memoryPressureSince ?? 0) }] : []),
            ],
          }
        : {}),
    },
    status: {
      capacity: n.gpu
        ? { cpu: "8", memory: "32880608Ki", "nvidia.com/gpu": "1", pods: "110", "ephemeral-storage": "98831908Ki" }
        : { cpu: "8", memory: "32880616Ki", pods: "110", "ephemeral-storage": "98831908Ki" },
      allocatable: n.gpu
        ? { cpu: "7910m", memory: "29094880Ki", "nvidia.com/gpu": "1", pods: "110", "ephemeral-storage": "47060071478" }
        : { cpu: "7910m", memory: "29094888Ki", pods: "110", "ephemeral-storage": "47060071478" },
      conditions: [
        condition(c, "MemoryPressure", pressure, n.memoryPressureSince ?? since, ["KubeletHasSufficientMemory", "kubelet has sufficient memory available"], ["KubeletHasInsufficientMemory", "kubelet has insufficient memory available"]),
        condition(c, "DiskPressure", false, since, ["KubeletHasNoDiskPressure", "kubelet has no disk pressure"], ["KubeletHasDiskPressure", "kubelet has disk pressure"]),
        condition(c, "PIDPressure", false, since, ["KubeletHasSufficientPID", "kubelet has sufficient PID available"], ["KubeletHasInsufficientPID", "kubelet has insufficient PID available"]),
        { type: "Ready", status: "True", lastHeartbeatTime: c.rfc(12), lastTransitionTime: c.rfc(since), reason: "KubeletReady", message: "kubelet is posting ready status" },
      ],
      addresses: [
        { type: "InternalIP", address: n.internalIP },
        { type: "Hostname", address: n.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: "6f1c0e8e5b1d4c2e9a7f3b0d2c4e6a81",
        systemUUID: "6f1c0e8e-5b1d-4c2e-9a7f-3b0d2c4e6a81",
        bootID: "0b7e2d9c-4a1f-4e8b-9c3d-5f2a7e1b0c64",
        kernelVersion: "6.1.100+",
        osImage: "Container-Optimized OS from Google",
        containerRuntimeVersion: "containerd://1.7.24",
        kubeletVersion: "v1.31.4-gke.1256000",
        kubeProxyVersion: "v1.31.4-gke.1256000",
        operatingSystem: "linux",
        architecture: "amd64",
      },
    },
  };
}

/** Every node the demo's pods run on; GPU_NODE_C has reported MemoryPressure for the last 25 minutes. */
export function demoNodes(c: Clock): Json[] {
  return [
    nodeJson({ name: GPU_NODE_A, uid: "3b1f6c2a-9d4e-4f70-8a15-2c7e9b0d4f61", internalIP: "10.128.0.41", gpu: true }, c),
    nodeJson({ name: GPU_NODE_B, uid: "7c2e0a9f-1b3d-4e6a-b8c5-4d9f2e7a1c03", internalIP: "10.128.0.42", gpu: true }, c),
    nodeJson({ name: GPU_NODE_C, uid: "e4a9c1d7-6f2b-4a3e-9d8c-0b5f7e2a6c19", internalIP: "10.128.0.43", gpu: true, memoryPressureSince: 1500 }, c),
    nodeJson({ name: CPU_NODE, uid: "a8d3f5b1-2c7e-4b9a-8f6d-1e0c3a5b7d92", internalIP: "10.128.0.57", gpu: false }, c),
  ];
}
