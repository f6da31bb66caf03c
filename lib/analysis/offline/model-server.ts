import { z } from "zod";
import type { EvidenceBundle } from "@/lib/cluster/bundle";

/**
 * Which model server runs in the pod, from what the evidence shows: the model-server series that exist
 * (only vLLM exports a KV-cache usage gauge), then the container's image and arguments, then its logs.
 * Advice names the knobs of that server (vLLM's --max-num-seqs, TGI's --max-concurrent-requests,
 * Triton's max_batch_size) and stays generic when none is evidenced.
 */

export type ModelServer = "vllm" | "tgi" | "triton";

export interface ModelServerGuess {
  server?: ModelServer;
  /** What gave it away, for titles and prompts. */
  why?: string;
  /** The container's command line (args), when the pod spec has it: flag values for concrete advice. */
  args: string[];
}

const MAX_ARGS = 200;
const MAX_LOG_SCAN = 200_000;

const argv = z.array(z.string()).max(MAX_ARGS).optional().catch(undefined);
const podSpecSchema = z.object({
  spec: z.object({
    containers: z.array(z.object({ name: z.string().optional().catch(undefined), image: z.string().optional().catch(undefined), command: argv, args: argv })).catch([]),
  }),
});

/** The target container's image, command and args from the raw pod JSON (the view does not keep args). */
function containerSpec(bundle: EvidenceBundle): { image: string; args: string[] } {
  const parsed = podSpecSchema.safeParse(bundle.pod);
  const containers = parsed.success ? parsed.data.spec.containers : [];
  const name = bundle.container ?? bundle.target?.container ?? bundle.alert.labels.container;
  const c = containers.find((x) => x.name === name) ?? containers[0];
  if (!c) return { image: "", args: [] };
  return { image: c.image ?? "", args: [...(c.command ?? []), ...(c.args ?? [])] };
}

const BY_TEXT: Array<{ server: ModelServer; re: RegExp }> = [
  { server: "vllm", re: /\bvllm\b/i },
  { server: "tgi", re: /text-generation-inference|text_generation_(?:router|launcher|server)/i },
  { server: "triton", re: /tritonserver|triton-inference-server|\btriton\b/i },
];

/** The model server the evidence points to, or none. Linear in the (bounded) text looked at. */
export function detectModelServer(bundle: EvidenceBundle): ModelServerGuess {
  const { image, args } = containerSpec(bundle);
  if (bundle.metrics?.series.some((s) => s.id === "kv_cache_usage")) return { server: "vllm", why: "it exports vLLM's KV-cache usage", args };
  const spec = [image, ...args].join(" ");
  for (const b of BY_TEXT) if (b.re.test(spec)) return { server: b.server, why: `its image or arguments name ${b.server}`, args };
  const logs = `${(bundle.logs ?? "").slice(0, MAX_LOG_SCAN)}\n${(bundle.previousLogs ?? "").slice(0, MAX_LOG_SCAN)}`;
  if (/vllm\.(?:entrypoints|engine|worker)|\(EngineCore|Avg prompt throughput/.test(logs)) return { server: "vllm", why: "its logs are vLLM's", args };
  if (/text_generation_(?:router|launcher)/.test(logs)) return { server: "tgi", why: "its logs are TGI's", args };
  if (/Started GRPCInferenceService|tritonserver|nv_inference/.test(logs)) return { server: "triton", why: "its logs are Triton's", args };
  return { args };
}

/** The value of `--flag value` or `--flag=value` on a command line (also the snake_case spelling). */
export function flagValue(args: string[], flag: string): string | undefined {
  const names = [flag, flag.replace(/-/g, "_").replace(/^__/, "--")];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? "";
    for (const n of names) {
      if (a === n) return args[i + 1];
      if (a.startsWith(`${n}=`)) return a.slice(n.length + 1);
    }
  }
  return undefined;
}
