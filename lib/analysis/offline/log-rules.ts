import type { SignalCategory } from "@/lib/analysis/types";
import type { SuggestionVariant } from "./suggestions";
import { clip } from "./text";

/**
 * Failure signatures as the runtimes print them. Order matters: a line takes the first rule it
 * matches, so specific causes (GPU OOM, model store, Hugging Face) come before the generic ones
 * (connection refused) that their messages also contain.
 */
export interface LogRule {
  id: string;
  category: SignalCategory;
  re: RegExp;
  /** Confidence when seen anywhere; raised when the line is part of the crash that ended the container. */
  base: number;
  title: (m: RegExpExecArray, text: string) => string;
  variant?: SuggestionVariant | ((text: string) => SuggestionVariant | undefined);
}

const fixed = (t: string) => () => t;

/** host[:port] a connection error names, for titles. */
export function dependencyTarget(text: string): string | undefined {
  const dial = /dial tcp (\[[^\]]+\]:\d+|[^\s:]+:\d+): /.exec(text);
  if (dial?.[1]) return dial[1];
  const patterns = [
    /lookup ([\w.-]+)(?: on [\d.:]+)?: no such host/,
    /connect (?:ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH) ([\w.:-]+)/,
    /getaddrinfo (?:ENOTFOUND|EAI_AGAIN) ([\w.-]+)/,
    /host='([\w.-]+)', port=(\d+)/,
    /connecting to ([\w.-]+:\d+)/,
    /(?:connect|connection) to (?:server at )?"?([\w.-]+)"?(?: \([\d.]+\))?,? port (\d+)/,
    /UnknownHostException: ([\w.-]+)/,
    /Could not resolve host:? ([\w.-]+)/,
  ];
  for (const re of patterns) {
    const r = re.exec(text);
    if (r?.[1]) return r[2] ? `${r[1]}:${r[2]}` : r[1];
  }
  return undefined;
}

function depTitle(kind: string) {
  return (_m: RegExpExecArray, text: string) => {
    const t = dependencyTarget(text);
    return t ? `Dependency unreachable: ${kind} (${t})` : `Dependency unreachable: ${kind}`;
  };
}

function cudaTitle(_m: RegExpExecArray, text: string): string {
  const tried = /Tried to allocate ([\d.]+ [KMGT]i?B)/.exec(text);
  const total = /(?:total capacity of|GPU \d+; )([\d.]+ [KMGT]i?B)(?: total capacity)?/.exec(text);
  if (tried) return `CUDA out of memory (tried to allocate ${tried[1]}${total ? ` of ${total[1]} total` : ""})`;
  return "GPU out of memory (CUDA)";
}

export const LOG_RULES: LogRule[] = [
  // --- GPU memory ---
  {
    id: "gpu.kv_cache",
    category: "gpu_oom",
    re: /No available memory for the cache blocks|larger than the maximum number of tokens that can be stored in KV cache|larger than the available KV cache memory|is less than desired GPU memory utilization|Insufficient memory for (?:the )?KV cache|not enough (?:GPU )?memory for (?:the )?KV cache/i,
    base: 0.72,
    title: fixed("vLLM could not fit the KV cache in GPU memory"),
    variant: "kv_cache",
  },
  {
    id: "gpu.cuda_oom",
    category: "gpu_oom",
    re: /CUDA out of memory|OutOfMemoryError: CUDA|CUDA error: out of memory|CUDA_ERROR_OUT_OF_MEMORY|cudaErrorMemoryAllocation|CUBLAS_STATUS_ALLOC_FAILED|CUDNN_STATUS_ALLOC_FAILED|HIP out of memory|std::bad_alloc: (?:out_of_memory|CUDA error)|out of memory on device|cudaMalloc failed: out of memory|ggml_backend_cuda_buffer_type_alloc_buffer: allocating [\d.]+ MiB on device \d+: cudaMalloc failed/i,
    base: 0.72,
    title: cudaTitle,
  },
  {
    id: "gpu.tensorflow",
    category: "gpu_oom",
    re: /OOM when allocating tensor|ResourceExhaustedError|Resource exhausted: OOM/,
    base: 0.7,
    title: fixed("TensorFlow ran out of GPU memory (OOM when allocating tensor)"),
    variant: "tensorflow",
  },
  {
    id: "gpu.alloc",
    category: "gpu_oom",
    re: /Failed to allocate memory for requested buffer|failed to allocate (?:[\d.]+\s?\w+ )?(?:GPU|CUDA|device) memory|unable to allocate (?:GPU|CUDA) memory|Allocator \(GPU_\d+_bfc\) ran out of memory/i,
    base: 0.62,
    title: fixed("GPU memory allocation failed while loading or running the model"),
    variant: "triton",
  },
  // --- process memory ---
  {
    id: "mem.kernel",
    category: "oom_killed",
    re: /Memory cgroup out of memory|Out of memory: Kill(?:ed)? process|invoked oom-killer|oom-kill:/,
    base: 0.75,
    title: fixed("Kernel OOM killer killed a process in the container"),
  },
  {
    id: "mem.jvm",
    category: "oom_killed",
    re: /java\.lang\.OutOfMemoryError(?::\s*([^\n]*))?/,
    base: 0.62,
    title: (m) => `JVM out of memory${m[1] ? `: ${clip(m[1], 60)}` : ""}`,
    variant: "jvm",
  },
  {
    id: "mem.runtime",
    category: "oom_killed",
    re: /fatal error: runtime: out of memory|JavaScript heap out of memory|Reached heap limit Allocation failed|^MemoryError\b|\[Errno 12\] Cannot allocate memory|Unable to allocate [\d.]+ [KMGTP]i?B for an array|std::bad_alloc/,
    base: 0.58,
    title: fixed("Process ran out of memory"),
  },
  {
    id: "mem.worker_killed",
    category: "oom_killed",
    re: /is killed by signal: Killed|killed by signal: 9\b|Killed process \d+ \(/,
    base: 0.62,
    title: fixed("A worker process was SIGKILLed inside the container (the OOM killer at the memory limit)"),
    variant: "sigkill",
  },
  {
    id: "mem.killed",
    category: "oom_killed",
    re: /^Killed\s*$/,
    base: 0.45,
    title: fixed("Process was killed (SIGKILL), typically by the OOM killer"),
    variant: "sigkill",
  },
  // --- model artifacts ---
  {
    id: "model.hf_gated",
    category: "model_load_failure",
    re: /GatedRepoError|Cannot access gated repo|You are trying to access a gated repo|(?:401|403) Client Error[^\n]*huggingface\.co|Unauthorized for url: https:\/\/huggingface\.co|Invalid (?:user )?token passed|Invalid credentials in Authorization header/,
    base: 0.72,
    title: fixed("Hugging Face refused the model download (gated/private repo or bad token)"),
    variant: "hf_auth",
  },
  {
    id: "model.hf_missing",
    category: "model_load_failure",
    re: /RepositoryNotFoundError|Repository Not Found for url|RevisionNotFoundError|EntryNotFoundError|is not a local folder and is not a valid model identifier|404 Client Error[^\n]*huggingface\.co/,
    base: 0.72,
    title: (_m, text) =>
      /\b401\b/.test(text)
        ? "Hugging Face repository not found or not accessible (401: private/gated repo or missing token)"
        : "Model not found on Hugging Face (wrong repo id or revision)",
    variant: (text) => (/\b401\b|authenticat/.test(text) ? "hf_auth" : "hf_not_found"),
  },
  {
    id: "model.hf_offline",
    category: "model_load_failure",
    re: /We couldn't connect to '?https?:\/\/huggingface\.co|HF_HUB_OFFLINE|outgoing traffic has been disabled|LocalEntryNotFoundError|Cannot find an appropriate cached snapshot|host='(?:cdn-lfs\.|)huggingface\.co'|Can't reach huggingface/,
    base: 0.7,
    title: fixed("Model download from huggingface.co failed (offline or unreachable, not in cache)"),
    variant: "hf_offline",
  },
  {
    id: "model.object_store",
    category: "model_load_failure",
    re: /An error occurred \((AccessDenied|NoSuchKey|NoSuchBucket|InvalidAccessKeyId|SignatureDoesNotMatch|ExpiredToken|403|404|Forbidden)\) when calling the (\w+) operation|NoCredentialsError|Unable to locate credentials|does not have storage\.objects\.(?:get|list) access|google\.api_core\.exceptions\.(?:Forbidden|NotFound)|AuthorizationPermissionMismatch|BlobNotFound|The specified (?:blob|container) does not exist/,
    base: 0.7,
    title: (m) => (m[1] ? `Model store refused the artifact (${m[1]} on ${m[2] ?? "read"})` : "Model store credentials or permissions are missing"),
    variant: "object_store",
  },
  {
    id: "model.missing_file",
    category: "model_load_failure",
    re: /does not appear to have (?:a )?files? named|Can't load (?:tokenizer|the model|config|weights|image processor|feature extractor)|Could not find base path|FileSystemStoragePathSource encountered a filesystem access error|No such file or directory: '[^']*(?:model|checkpoint|weights|\.bin|\.safetensors|\.pt|\.pth|\.onnx|\.pkl|\.joblib|\.gguf|config\.json|tokenizer)|FileNotFoundError:[^\n]*(?:model|checkpoint|weights|\.bin|\.safetensors|\.pt\b|\.pth|\.onnx|\.pkl|\.joblib|\.gguf|\.plan|config\.json|tokenizer)|unable to find '[^']+'|Incorrect path_or_model_id|Failed to fetch model\. No model found|fail to locate model file|No model found in/i,
    base: 0.7,
    title: (_m, text) => `Model artifact missing: ${clip(text.trim(), 110)}`,
    variant: "missing_file",
  },
  {
    id: "model.corrupt",
    category: "model_load_failure",
    re: /SafetensorError|Error while deserializing header|invalid load key|UnpicklingError|Error\(s\) in loading state_dict|size mismatch for|PytorchStreamReader failed|file might be corrupted|HeaderTooLarge|MetadataIncompleteBuffer/,
    base: 0.68,
    title: fixed("Model checkpoint is corrupt or does not match the model definition"),
    variant: "corrupt",
  },
  {
    id: "model.unsupported",
    category: "model_load_failure",
    re: /Unrecognized model in|Unrecognized configuration class|does not recognize this architecture|but Transformers does not recognize|Model architectures? \[[^\]]*\] (?:is|are) not supported|are not supported for now|requires you to execute the configuration file in that repo/,
    base: 0.66,
    title: fixed("Serving runtime does not support this model's architecture/config"),
    variant: "unsupported_arch",
  },
  {
    id: "model.triton",
    category: "model_load_failure",
    re: /failed to load '[^']+' version \d+|Poll failed for model directory/,
    base: 0.66,
    title: (_m, text) => `Triton failed to load the model: ${clip(text.trim(), 100)}`,
  },
  {
    // Triton's summary lines repeat whatever made a model fail; they only count when nothing more specific does.
    id: "model.triton_summary",
    category: "model_load_failure",
    re: /failed to load all models|UNAVAILABLE: (?:Internal|Not found|Invalid argument)/,
    base: 0.45,
    title: (_m, text) => `Triton reports models unavailable: ${clip(text.trim(), 100)}`,
  },
  {
    id: "model.generic",
    category: "model_load_failure",
    re: /(?:Failed|failed|Unable|unable|Error|error) (?:to )?(?:load|loading|initiali[sz]e) (?:the )?model|Model load failed|could not load model|ModelLoadError|model failed to load|ModelMissingError/,
    base: 0.6,
    title: (_m, text) => `Model failed to load: ${clip(text.trim(), 100)}`,
  },
  // --- configuration ---
  {
    id: "cfg.no_gpu",
    category: "config_error",
    re: /Found no NVIDIA driver|no CUDA-capable device is detected|CUDA driver version is insufficient|NVIDIA-SMI has failed|CUDA_ERROR_NO_DEVICE|libcuda\.so[^\n]*(?:cannot open|not found)|Torch not compiled with CUDA enabled|No CUDA GPUs are available|Failed to infer device type|Failed to initialize NVML|nvidia-container-cli: initialization error/,
    base: 0.66,
    title: fixed("No usable GPU inside the container (driver/runtime/device request)"),
    variant: "no_gpu_runtime",
  },
  {
    id: "cfg.args",
    category: "config_error",
    re: /error: unrecognized arguments:|error: argument [-\w]+(?:\/[-\w]+)*: |error: the following arguments are required|Error: No such option|unknown flag: |flag provided but not defined/,
    base: 0.68,
    title: (_m, text) => `Server rejected its command-line arguments: ${clip(text.trim(), 100)}`,
    variant: "args",
  },
  {
    id: "cfg.exec",
    category: "config_error",
    re: /executable file not found in \$PATH|exec format error|exec: "[^"]+": (?:permission denied|no such file)|exec \/[^:]+: no such file or directory|: command not found$/,
    base: 0.66,
    title: (_m, text) => `Container command cannot run: ${clip(text.trim(), 100)}`,
    variant: "command",
  },
  {
    id: "cfg.env",
    category: "config_error",
    re: /KeyError: '([A-Z][A-Z0-9_]{2,})'|(?:[Ee]nvironment variable|[Ee]nv var)\s+[`'"]?([A-Z][A-Z0-9_]+)[`'"]?\s+(?:is )?(?:not set|missing|required|must be set|is empty)|validation errors? for \w*(?:Settings|Config)\b/,
    base: 0.62,
    title: (m) => (m[1] || m[2] ? `Required setting ${m[1] ?? m[2]} is not set` : "Application settings failed validation"),
  },
  // --- kubelet/scheduler text pasted into logs (kubectl describe output) ---
  {
    id: "k8s.probe",
    category: "probe_failure",
    re: /(Liveness|Readiness|Startup) probe failed|failed (?:liveness|startup) probe, will be restarted/,
    base: 0.5,
    title: (m) => `${m[1] ?? "Liveness"} probe failures`,
  },
  {
    id: "k8s.image",
    category: "image_pull",
    re: /Failed to pull image|ErrImagePull|ImagePullBackOff|Back-off pulling image/,
    base: 0.55,
    title: fixed("Image pull failures"),
  },
  {
    id: "k8s.sched",
    category: "unschedulable",
    re: /\d+\/\d+ nodes are available/,
    base: 0.55,
    title: fixed("Pod could not be scheduled"),
  },
  {
    id: "k8s.evict",
    category: "evicted",
    re: /The node was low on resource|ephemeral local storage usage exceeds/,
    base: 0.55,
    title: fixed("Pod was evicted"),
  },
  // --- dependencies ---
  {
    id: "dep.dns",
    category: "dependency_unreachable",
    re: /getaddrinfo (?:ENOTFOUND|EAI_AGAIN)|Name or service not known|nodename nor servname provided|no such host|Temporary failure in name resolution|Could not resolve host|UnknownHostException|NXDOMAIN|Name does not resolve|\[Errno -[23]\]/,
    base: 0.55,
    title: depTitle("DNS name does not resolve"),
    variant: "dns",
  },
  {
    id: "dep.refused",
    category: "dependency_unreachable",
    re: /connection refused|ECONNREFUSED|Errno 111\b|Error 111 connecting|ConnectionRefusedError|actively refused|java\.net\.ConnectException/i,
    base: 0.55,
    title: depTitle("connection refused"),
  },
  {
    id: "dep.timeout",
    category: "dependency_unreachable",
    re: /ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|No route to host|Network is unreachable|i\/o timeout|connect timed out|Connection timed out|ConnectTimeout|Read timed out|context deadline exceeded|Max retries exceeded with url|Failed to establish a new connection|could not connect to (?:server|database|the database)|Can't connect to (?:local )?MySQL server|Connection reset by peer|ECONNRESET|no healthy upstream|upstream connect error|NoBrokersAvailable|Broker may not be available|ServerSelectionTimeoutError|MongoServerSelectionError|could not translate host name/i,
    base: 0.5,
    title: depTitle("connection failed or timed out"),
  },
  // --- CPU ---
  {
    id: "cpu.throttle",
    category: "cpu_throttling",
    re: /cpu[^\n]{0,40}throttl|throttl[^\n]{0,40}cpu|nr_throttled/i,
    base: 0.45,
    title: fixed("CPU throttling reported"),
  },
  // --- native crashes ---
  {
    id: "crash.native",
    category: "app_crash",
    re: /Segmentation fault|SIGSEGV|core dumped|Fatal Python error|an illegal memory access was encountered|device-side assert triggered|NCCL error|ncclUnhandledCudaError|ncclSystemError|GPU has fallen off the bus|uncorrectable ECC error/,
    base: 0.58,
    title: (_m, text) => `Native crash: ${clip(text.trim(), 100)}`,
    variant: "segfault",
  },
];

/** Cheap gate: a line that has none of these words cannot match any rule. */
export const PREFILTER =
  /error|exception|fail|fatal|panic|refused|denied|not found|unauthori|forbidden|kill|memory|oom|traceback|time(?:d)? ?out|unreachable|resolv|no such|errno|cuda|throttl|probe|could not|couldn't|can't|cannot|unable|invalid|unrecognized|no available|upstream|not set|missing|gated|huggingface|hf_hub|offline|econn|enotfound|eai_again|etimedout|ehostunreach|enetunreach|getaddrinfo|name or service|nodename|nxdomain|segmentation|sigsegv|core dumped|nccl|nodes are available|imagepull|pull image|low on resource|ephemeral|no route|deadline|reset by peer|unknownhost|not a local folder|does not appear|mismatch|unpickl|not supported|does not recognize|unrecognized|no model|credentials|access|nosuch|command not found|ECC|fallen off|vLLM|storage/i;

/** An exception headline: the line that names what was thrown. */
export const HEADLINES: RegExp[] = [
  /^Exception in thread "[^"]*" ([\w.$]+)(?::\s?(.*))?$/,
  /^Caused by: ([\w.$]+)(?::\s?(.*))?$/,
  /^panic: (.+)$/,
  /^fatal error: (.+)$/,
  /^thread '[^']*' panicked at (.+)$/,
  /^FATAL ERROR: (.+)$/,
  /^\[?(UnhandledPromiseRejection)\b:?\s?(.*)$/,
  /^(?:Uncaught )?((?:[A-Za-z_]\w*\.)*(?:[A-Z]\w*)?(?:Error|Exception|Exit|Interrupt|Fault|Failure))(?::\s?(.*))?$/,
];

/** Lines that belong to a stack trace or exception chain. */
export function isStackLine(text: string): boolean {
  if (text === "" || /^\s/.test(text)) return true;
  return /^(?:Traceback \(most recent call last\):|During handling of the above exception|The above exception was the direct cause|Caused by:|\.\.\. \d+ more|goroutine \d+ \[|\[signal |created by |exit status \d+|node:internal\/|Node\.js v\d|\}$|\^+$|[\w.*/()[\]-]+\(.*\)$|[\w./-]+\.(?:go|py|js|ts|java|rs):\d+)/.test(
    text,
  );
}
