import type { EvidenceBundle } from "@/lib/cluster/bundle";
import { containerSpec, viewPod } from "@/lib/cluster/view";

/** The model server a pod runs, as far as its logs and image show; advice names only that server's knobs. */
export type ModelServer = "vllm" | "tgi" | "triton" | "torchserve" | "tf_serving" | "other";

/** Lines of each log looked at: servers announce themselves at start-up, and their log formats are distinctive. */
const HEAD_CHARS = 200_000;

const LOG_MARKS: Array<[ModelServer, RegExp]> = [
  ["vllm", /vLLM API server version|\bvllm\.entrypoints|\(EngineCore(?:_DP\d+)? pid=|Initializing an? (?:V1 )?LLM engine|\[(?:api_server|llm_engine|core|scheduler|loggers)\.py:\d+\]|\b(?:api_server|llm_engine|model_runner|gpu_executor)\.py:\d+\]/],
  ["tgi", /text_generation_launcher|text_generation_router|text_generation_server/],
  ["triton", /Triton Inference Server|\b(?:model_lifecycle|model_repository_manager|grpc_server|http_server|server)\.cc:\d+\]|Started GRPCInferenceService/],
  ["torchserve", /org\.pytorch\.serve|TorchServe|model_service_worker/],
  ["tf_serving", /tensorflow_serving|Running gRPC ModelServer|Exporting HTTP\/REST API/],
];

const IMAGE_MARKS: Array<[ModelServer, RegExp]> = [
  ["vllm", /(?:^|\/)vllm(?:-openai)?[:@/]|\/vllm-openai|vllm/i],
  ["tgi", /text-generation-inference|\btgi\b/i],
  ["triton", /tritonserver|triton/i],
  ["torchserve", /torchserve/i],
  ["tf_serving", /tensorflow\/serving|tf-serving/i],
];

/**
 * Which model server produced this evidence: the logs' own marks first (what actually ran), then the
 * container image's name. `other` when nothing says.
 */
export function detectServer(bundle: Pick<EvidenceBundle, "logs" | "previousLogs" | "pod" | "container">): ModelServer {
  const text = `${(bundle.previousLogs ?? "").slice(0, HEAD_CHARS)}\n${(bundle.logs ?? "").slice(0, HEAD_CHARS)}`;
  for (const [server, re] of LOG_MARKS) if (re.test(text)) return server;
  const pod = viewPod(bundle.pod);
  const image = containerSpec(pod, bundle.container)?.image ?? pod?.spec?.containers?.[0]?.image ?? "";
  for (const [server, re] of IMAGE_MARKS) if (re.test(image)) return server;
  return "other";
}

/** How the server is called in prose. */
export const SERVER_NAME: Record<ModelServer, string> = {
  vllm: "vLLM",
  tgi: "TGI",
  triton: "Triton",
  torchserve: "TorchServe",
  tf_serving: "TensorFlow Serving",
  other: "the model server",
};
