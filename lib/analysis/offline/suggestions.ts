import type { SignalCategory } from "@/lib/analysis/types";
import type { ModelServer } from "./server";

/** Where a suggestion's kubectl commands should point; unknown parts stay as placeholders. */
export interface SuggestionContext {
  namespace?: string;
  pod?: string;
  container?: string;
  /** The model server the logs show: advice names only its flags. */
  server?: ModelServer;
  /** The owning workload as kubectl names it ("deployment/x"). */
  workload?: string;
  /** The revision before the newest one, to roll back to. */
  previousRevision?: number;
  node?: string;
  hpa?: { name: string; max: number; atMax: boolean };
}

/** Finer cause inside a category, chosen by the detectors. */
export type SuggestionVariant =
  | "not_found"
  | "unauthorized"
  | "rate_limited"
  | "ambiguous_access"
  | "registry_unreachable"
  | "invalid_name"
  | "gpu"
  | "cpu"
  | "memory"
  | "taint"
  | "affinity"
  | "pvc"
  | "secret"
  | "configmap"
  | "key"
  | "command"
  | "no_gpu_runtime"
  | "args"
  | "ephemeral"
  | "disk"
  | "preempted"
  | "kv_cache"
  | "tensorflow"
  | "triton"
  | "slow_load"
  | "readiness"
  | "jvm"
  | "sigkill"
  | "hf_auth"
  | "hf_not_found"
  | "hf_offline"
  | "object_store"
  | "missing_file"
  | "unsupported_arch"
  | "corrupt"
  | "dns"
  | "segfault"
  | "exit_zero"
  | "near_limit"
  | "pid"
  | "not_ready";

function target(ctx: SuggestionContext): { ns: string; pod: string; c: string } {
  return { ns: ctx.namespace ?? "<namespace>", pod: ctx.pod ?? "<pod>", c: ctx.container ?? "<container>" };
}

/** How to need less GPU memory, in the knobs of the server that runs (none named when it is unknown). */
function gpuMemoryKnobs(server: ModelServer | undefined): string {
  switch (server) {
    case "vllm":
      return "lower --max-model-len or --max-num-seqs, lower --gpu-memory-utilization if something else shares the GPU, or spread the model over more GPUs with --tensor-parallel-size";
    case "tgi":
      return "lower --max-batch-prefill-tokens, --max-total-tokens or --max-batch-total-tokens, lower --cuda-memory-fraction if the GPU is shared, or shard the model over more GPUs with --num-shard";
    case "triton":
      return "lower max_batch_size or the instance_group count in the model's config.pbtxt, or load fewer models per GPU (--model-control-mode=explicit)";
    case "torchserve":
      return "lower batchSize or the number of workers per model in config.properties / the model's config";
    case "tf_serving":
      return "lower the batch size in --batching_parameters_file, or set --per_process_gpu_memory_fraction below 1 when the GPU is shared";
    default:
      return "lower the batch size, the maximum input or sequence length, or the number of model copies per GPU";
  }
}

/** How to take in less work per pod, in the knobs of the server that runs. */
function concurrencyKnobs(server: ModelServer | undefined): string {
  switch (server) {
    case "vllm":
      return "vLLM queues what it cannot batch: cap --max-num-seqs to what the KV cache holds and put a client-side timeout and retry in front";
    case "tgi":
      return "TGI answers 429 \"Model is overloaded\" past --max-concurrent-requests: raise it only if --max-batch-total-tokens has room, otherwise add replicas";
    case "triton":
      return "Triton rejects requests past the dynamic_batching default_queue_policy max_queue_size: raise max_queue_size or max_queue_delay_microseconds only with capacity to match, or add instance_group instances";
    default:
      return "raise the server's queue or concurrency limit only if it has capacity to spare";
  }
}

/**
 * Actionable next steps for a category (and optional finer variant), with kubectl commands filled
 * in for the target when known.
 */
export function suggestionFor(category: SignalCategory, variant?: SuggestionVariant, ctx: SuggestionContext = {}): string {
  const { ns, pod, c } = target(ctx);
  switch (category) {
    case "oom_killed":
      if (variant === "near_limit")
        return `The process warns that its memory is close to the container limit; at the limit the kernel OOM-kills it. Find what grows (a cache or session store without a bound or eviction, batch size, request size) and bound it, or raise resources.limits.memory for ${c} with the request. Watch usage with \`kubectl top pod ${pod} -n ${ns} --containers\`.`;
      if (variant === "jvm")
        return `The JVM ran out of heap: raise -Xmx (or -XX:MaxRAMPercentage) and the container memory limit together, then look for a leak with a heap dump. Check usage with \`kubectl top pod ${pod} -n ${ns} --containers\`.`;
      if (variant === "sigkill")
        return `The container was killed with SIGKILL (exit 137). If no probe killed it, this is usually the kernel OOM killer: compare usage to the limit with \`kubectl top pod ${pod} -n ${ns} --containers\` and \`kubectl describe node\`, then raise resources.limits.memory or reduce batch size / model size / worker count.`;
      return `The container exceeded its memory limit. Raise resources.limits.memory (and requests) for ${c}, or cut memory use: fewer workers/replicas of the model per pod, smaller batch size, a quantized model, or lazy loading. Verify with \`kubectl describe pod ${pod} -n ${ns}\` (Last State: OOMKilled) and \`kubectl top pod ${pod} -n ${ns} --containers\`.`;
    case "gpu_oom":
      if (variant === "kv_cache")
        return `vLLM could not fit the KV cache in GPU memory: lower --max-model-len or --max-num-seqs, raise --gpu-memory-utilization (default 0.9) only if nothing else shares the GPU, use a quantized model or more --tensor-parallel-size GPUs. Check for other GPU processes with \`kubectl exec -n ${ns} ${pod} -c ${c} -- nvidia-smi\`.`;
      if (variant === "tensorflow")
        return `TensorFlow ran out of GPU memory: reduce the batch size or input shape, enable memory growth (TF_FORCE_GPU_ALLOW_GROWTH=true) so several models can share the GPU, or move to a larger GPU.`;
      if (variant === "triton")
        return `Triton could not allocate GPU memory for a model instance: lower instance_group count or max_batch_size in config.pbtxt, load fewer models per GPU (--model-control-mode=explicit), or give the pod a larger GPU.`;
      return `The model ran out of GPU memory: ${gpuMemoryKnobs(ctx.server)}; or use a quantized or smaller model, or a larger GPU.${ctx.server === "other" || ctx.server === undefined ? " For PyTorch, PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True reduces fragmentation." : ""} Check usage with \`kubectl exec -n ${ns} ${pod} -c ${c} -- nvidia-smi\`.`;
    case "model_load_failure":
      if (variant === "hf_auth")
        return `Hugging Face refused the download: the model is private or gated, or the token is missing/invalid. Put a valid token with access to the repo in a Secret and expose it as HF_TOKEN, accept the model's licence on huggingface.co, and check with \`kubectl get secret -n ${ns}\`.`;
      if (variant === "hf_not_found")
        return `The model repository or file does not exist on Hugging Face (or is private): check the model id and revision for typos, then roll back to the last working model version.`;
      if (variant === "hf_offline")
        return `The pod cannot reach huggingface.co and the model is not in the local cache: pre-download the model into a volume (or the image) and set HF_HUB_OFFLINE=1 with the local path, or allow egress to huggingface.co.`;
      if (variant === "object_store")
        return `The model store denied or could not find the model artifact: check the storageUri/bucket path, and that the service account or credentials Secret grants read (s3:GetObject / ListBucket, storage.objects.get). For KServe, check the storage-initializer logs: \`kubectl logs ${pod} -n ${ns} -c storage-initializer\`.`;
      if (variant === "unsupported_arch")
        return `The serving runtime does not support this model's architecture or config: upgrade the runtime image (transformers / vLLM version) to one that supports it, or roll back the model version.`;
      if (variant === "corrupt")
        return `The model artifact is corrupt or incompatible (bad checkpoint, truncated download, wrong format): re-upload or re-download it, verify checksums, and roll back to the last known good model version.`;
      return `The model files could not be loaded: check the model path/URI and that the artifact (config.json, weights, tokenizer) exists where the server looks (often /mnt/models), then roll back to the last working model version. For KServe, inspect \`kubectl logs ${pod} -n ${ns} -c storage-initializer\`.`;
    case "image_pull":
      if (variant === "not_found")
        return `The image or tag does not exist in the registry: fix the image reference (typo, tag never pushed, deleted tag), prefer pinning by digest (image@sha256:…), and roll back the deployment with \`kubectl rollout undo ${ctx.workload ?? "deployment/<name>"} -n ${ns}\` if a bad tag was released.`;
      if (variant === "unauthorized")
        return `The registry refused the pull: create or fix the pull secret (\`kubectl create secret docker-registry …\`) and reference it in imagePullSecrets or the service account; for ECR/GCR/ACR check the node's IAM role / workload identity.`;
      if (variant === "ambiguous_access")
        return `The registry says the repository does not exist or needs authorization: check the image name for typos first, then add imagePullSecrets if the repository is private.`;
      if (variant === "rate_limited")
        return `The registry rate-limited pulls (Docker Hub: 100 anonymous pulls per 6 h): authenticate pulls with an imagePullSecret, mirror the image to your own registry, or use imagePullPolicy: IfNotPresent with a pinned digest.`;
      if (variant === "registry_unreachable")
        return `The node could not reach the registry (DNS or network): check node egress/proxy settings and the registry host name, or mirror the image to a reachable registry.`;
      if (variant === "invalid_name")
        return `The image reference is malformed: fix the image field (registry/repository:tag or @sha256:digest) in the pod template.`;
      return `The image could not be pulled: run \`kubectl describe pod ${pod} -n ${ns}\` for the registry's exact error, then fix the image reference or imagePullSecrets; pin images by digest.`;
    case "probe_failure":
      if (variant === "slow_load")
        return `The liveness probe killed the container while the model was still loading. Add a startupProbe (e.g. httpGet /health, periodSeconds: 10, failureThreshold: 60 for up to 10 min) or raise livenessProbe.initialDelaySeconds / failureThreshold above the model's load time; cache weights on a volume to load faster.`;
      if (variant === "readiness")
        return `The readiness probe fails, so the pod gets no traffic: check that the probe path/port match the server (e.g. /health, /v2/health/ready) and that the model finished loading; look at \`kubectl logs ${pod} -n ${ns} -c ${c}\`.`;
      return `The container fails its probes and is restarted: check the probe's path, port and timeoutSeconds against the server, raise timeoutSeconds/failureThreshold if the server is slow under load, and add a startupProbe for slow model loads. See \`kubectl describe pod ${pod} -n ${ns}\`.`;
    case "unschedulable":
      if (variant === "gpu")
        return `No node has a free GPU of the requested kind: lower the nvidia.com/gpu request, add GPU nodes (or let the autoscaler scale the GPU node pool), check the device plugin is running (\`kubectl get nodes -o custom-columns=NAME:.metadata.name,GPU:.status.allocatable.nvidia\\.com/gpu\`), and make sure the pod tolerates the GPU nodes' taints.`;
      if (variant === "taint")
        return `The nodes that could run the pod are tainted: add a matching toleration (e.g. nvidia.com/gpu:NoSchedule for GPU pools) or target other nodes; list taints with \`kubectl get nodes -o custom-columns=NAME:.metadata.name,TAINTS:.spec.taints\`.`;
      if (variant === "affinity")
        return `No node matches the pod's nodeSelector/affinity: fix the labels it asks for (e.g. GPU type, node pool) or label nodes accordingly; compare with \`kubectl get nodes --show-labels\`.`;
      if (variant === "pvc")
        return `The pod waits for a PersistentVolumeClaim that is not bound: check \`kubectl get pvc -n ${ns}\` and \`kubectl describe pvc\`, the storageClass and its provisioner, and the volume's zone.`;
      if (variant === "cpu" || variant === "memory")
        return `No node has enough free ${variant} for the pod's requests: lower resources.requests.${variant}, add nodes or let the cluster autoscaler scale up, or free capacity. See \`kubectl describe nodes | grep -A5 Allocated\`.`;
      return `The scheduler cannot place the pod: read the FailedScheduling message in \`kubectl describe pod ${pod} -n ${ns}\` and fix the request, toleration, affinity or volume it names.`;
    case "config_error":
      if (variant === "secret")
        return `A Secret the pod references does not exist in namespace ${ns}: create it (\`kubectl create secret generic … -n ${ns}\`) or fix the name in env/envFrom/volumes; check with \`kubectl get secret -n ${ns}\`.`;
      if (variant === "configmap")
        return `A ConfigMap the pod references does not exist in namespace ${ns}: create it or fix the name; check with \`kubectl get configmap -n ${ns}\`.`;
      if (variant === "key")
        return `The Secret/ConfigMap exists but lacks the referenced key: add the key or fix secretKeyRef/configMapKeyRef.key (keys are case-sensitive); inspect with \`kubectl get secret <name> -n ${ns} -o jsonpath='{.data}'\`.`;
      if (variant === "command")
        return `The container's command cannot be run (not found, not executable, or built for another CPU architecture): fix command/args or the image's entrypoint, and build the image for the nodes' architecture.`;
      if (variant === "no_gpu_runtime")
        return `The process sees no usable GPU: request nvidia.com/gpu in resources.limits, schedule onto GPU nodes (runtimeClassName: nvidia where required), and check the driver / device plugin versions match the image's CUDA version.`;
      if (variant === "args")
        return `The server rejected its command-line arguments: fix args in the pod template (flags differ between runtime versions) or pin the image version the flags were written for.`;
      return `The pod's configuration is invalid: check env vars, Secrets, ConfigMaps and volume references in the pod template against what the application expects.`;
    case "evicted":
      if (variant === "ephemeral" || variant === "disk")
        return `The pod was evicted for ephemeral storage: set resources.requests/limits.ephemeral-storage, move model caches and downloads (HF_HOME, /tmp) to a PVC or a sized emptyDir, and reduce log volume.`;
      if (variant === "memory")
        return `The node ran low on memory and evicted the pod: set memory requests equal to real usage (Guaranteed QoS for model servers), and spread memory-heavy pods; check \`kubectl describe node\` for MemoryPressure.`;
      if (variant === "preempted")
        return `A higher-priority pod preempted this one: give the model server an appropriate PriorityClass or reserve capacity for it.`;
      return `The pod was evicted by the kubelet under node pressure: set requests that match usage and check the node's conditions with \`kubectl describe node\`.`;
    case "cpu_throttling":
      return `The container is CPU-throttled at its limit: raise or remove resources.limits.cpu (keep requests), or reduce CPU work per pod (tokenization workers, pre/post-processing threads, OMP_NUM_THREADS). Compare usage with \`kubectl top pod ${pod} -n ${ns} --containers\`.`;
    case "memory_leak":
      return `Memory grows while the traffic does not: bound what the process keeps (a per-session or KV cache needs a size cap, a TTL and eviction), raise the memory limit only to buy time until the fix ships, and restart the pod in a quiet hour if it will hit the limit first. Compare usage with \`kubectl top pod ${pod} -n ${ns} --containers\`.`;
    case "load_surge":
      return `The traffic grew and the pod's usage with it: scale out (more replicas, or raise the HorizontalPodAutoscaler's maxReplicas), cap the concurrency per pod (vLLM --max-num-seqs, TGI --max-concurrent-requests, Triton max_batch_size), and size the limits for the peak. See \`kubectl get hpa -n ${ns}\`.`;
    case "dependency_unreachable":
      if (variant === "dns")
        return `A dependency's host name does not resolve: check the Service name and namespace (svc.namespace.svc.cluster.local), that the Service exists (\`kubectl get svc -n ${ns}\`), and CoreDNS health.`;
      return `A dependency refused or timed out: check that the service it calls is up and has endpoints (\`kubectl get endpoints -n ${ns}\`), the host/port in the config, and NetworkPolicies; make startup retry with backoff instead of exiting.`;
    case "app_crash":
      if (variant === "segfault")
        return `The process crashed with a segmentation fault (exit 139): usually a native library / CUDA / driver mismatch; roll back to the last working image and pin it by digest, and check library versions.`;
      if (variant === "exit_zero")
        return `The main process exits (code 0) and the pod restarts: make sure the container runs a long-lived server in the foreground, not a script that returns.`;
      return `The application crashed: fix the exception in the logs or roll back to the last working image/model version (\`kubectl rollout undo ${ctx.workload ?? "deployment/<name>"} -n ${ns}\`); read the previous container's logs with \`kubectl logs ${pod} -n ${ns} -c ${c} --previous\`.`;
    case "bad_rollout": {
      const w = ctx.workload ?? "deployment/<name>";
      const to = ctx.previousRevision !== undefined ? ` --to-revision=${ctx.previousRevision}` : "";
      return `The failure started after the newest rollout and fits what it changed: roll back to the revision before it with \`kubectl rollout undo ${w} -n ${ns}${to}\` (see \`kubectl rollout history ${w} -n ${ns}\`), then fix the change before rolling forward again.`;
    }
    case "node_pressure": {
      const n = ctx.node ?? "<node>";
      const what = variant === "disk" ? "disk" : variant === "pid" ? "process IDs" : variant === "not_ready" ? "health" : "memory";
      return `The node ${n} is short of ${what}, so every pod on it suffers: move the workload off it with \`kubectl cordon ${n}\` and \`kubectl drain ${n} --ignore-daemonsets --delete-emptydir-data\`, then find what uses the node's ${what} with \`kubectl describe node ${n}\`.`;
    }
    case "overload": {
      const scale = ctx.hpa
        ? ctx.hpa.atMax
          ? `the autoscaler ${ctx.hpa.name} is at its maximum of ${ctx.hpa.max}: raise it with \`kubectl patch hpa ${ctx.hpa.name} -n ${ns} -p '{"spec":{"maxReplicas":${ctx.hpa.max * 2}}}'\``
          : `check why the autoscaler ${ctx.hpa.name} does not add replicas with \`kubectl describe hpa ${ctx.hpa.name} -n ${ns}\``
        : `add replicas with \`kubectl scale ${ctx.workload ?? "deployment/<name>"} -n ${ns} --replicas=<n>\``;
      return `The server cannot keep up with its traffic (requests queued past its limit, shed with 5xx, or over the latency objective): ${scale}. ${concurrencyKnobs(ctx.server)}.`;
    }
    case "unknown":
      return `No known failure signature matched. Read \`kubectl describe pod ${pod} -n ${ns}\` and \`kubectl logs ${pod} -n ${ns} -c ${c} --previous\`, and check recent deploys and dependency health.`;
  }
}
