import type { EvidenceBundle } from "@/lib/cluster/bundle";
import type { Action, SignalCategory } from "@/lib/analysis/types";
import { bundleMetricsReading } from "@/lib/analysis/metrics-summary";
import { formatBytes, formatClock, formatCores, formatDuration, formatPerHour, formatRatio } from "@/lib/prometheus/format";
import type { MetricsReading } from "@/lib/prometheus/reading";
import { detectModelServer, flagValue, type ModelServerGuess } from "./model-server";
import { targetSeries } from "./metric-signals";

/**
 * The offline report's actions that need numbers: a memory or CPU limit sized from the observed peak
 * plus headroom, the projection that says how long that buys, the model server's own knobs (vLLM,
 * TGI, Triton, or a generic cache cap), scaling out. Only what the metrics reading supports.
 */

/** Headroom over the observed peak when sizing a limit. */
export const HEADROOM = 0.25;
const GiB = 2 ** 30;
const MiB = 2 ** 20;

/** A Kubernetes memory quantity at least `bytes`: whole Gi from 4 Gi up, else a multiple of 256 Mi. */
export function memoryQuantity(bytes: number): string {
  if (bytes >= 4 * GiB) return `${Math.ceil(bytes / GiB)}Gi`;
  return `${Math.max(256, Math.ceil(bytes / MiB / 256) * 256)}Mi`;
}

/** A Kubernetes CPU quantity at least `cores`, in half cores (`3`, `2500m`). */
export function cpuQuantity(cores: number): string {
  const half = Math.max(0.5, Math.ceil(cores * 2) / 2);
  return Number.isInteger(half) ? String(half) : `${Math.round(half * 1000)}m`;
}

function quantityBytes(q: string): number {
  const m = /^(\d+)(Gi|Mi)$/.exec(q);
  return m ? Number(m[1]) * (m[2] === "Gi" ? GiB : MiB) : 0;
}

export interface Names {
  ns: string;
  pod: string;
  container: string;
  workload: string;
}

function memoryActions(reading: MetricsReading, container: string | undefined, leak: boolean, n: Names): Action[] {
  const mem = targetSeries(reading, "memory_working_set", container);
  if (!mem?.max || mem.limit === undefined || !mem.now) return [];
  const peak = mem.max.v;
  const next = memoryQuantity(peak * (1 + HEADROOM));
  if (quantityBytes(next) <= mem.limit) return [];
  const projection =
    mem.limitReachedAt !== undefined ? ` At the current ${formatPerHour(mem.trend?.slopePerHour ?? 0, "bytes")} it reaches the ${formatBytes(mem.limit)} limit in about ${formatDuration(mem.limitReachedAt - mem.now.t)} (around ${formatClock(mem.limitReachedAt)} UTC).` : "";
  const slope = mem.trend?.direction === "rising" ? mem.trend.slopePerHour : 0;
  const bought = leak && slope > 0 ? ` With the leak that buys about ${formatDuration(((quantityBytes(next) - mem.now.v) / slope) * 3600)}, time to ship the fix, not a fix.` : "";
  return [
    {
      step: `Raise the memory limit of ${n.container} from ${formatBytes(mem.limit)} to ${next}: the observed peak was ${formatBytes(peak)} (${formatRatio(peak / mem.limit)} of the limit) plus ${Math.round(HEADROOM * 100)}% headroom.${projection}${bought}`,
      command: `kubectl -n ${n.ns} set resources ${n.workload} -c ${n.container} --limits=memory=${next}`,
    },
  ];
}

function cpuActions(reading: MetricsReading, container: string | undefined, n: Names): Action[] {
  const cpu = targetSeries(reading, "cpu_usage", container);
  const th = targetSeries(reading, "cpu_throttled_ratio", container);
  if (!cpu?.max || cpu.limit === undefined) return [];
  const next = cpuQuantity(Math.max(cpu.max.v, cpu.limit) * (1 + 2 * HEADROOM));
  const throttled = th?.mean !== undefined ? `, throttled in ${formatRatio(th.mean)} of periods` : "";
  return [
    {
      step: `Raise the CPU limit of ${n.container} from ${formatCores(cpu.limit)} to ${next} cores (usage peaked at ${formatCores(cpu.max.v)}${throttled}; a throttled container's usage understates its demand), or remove the CPU limit and keep the request.`,
      command: `kubectl -n ${n.ns} set resources ${n.workload} -c ${n.container} --limits=cpu=${next}`,
    },
  ];
}

/** What to turn down in the model server itself, with the flag's current value when the spec has it. */
function serverActions(guess: ModelServerGuess, categories: Set<SignalCategory>): Action[] {
  const memory = categories.has("oom_killed") || categories.has("memory_leak");
  const gpu = categories.has("gpu_oom");
  const load = categories.has("load_surge") || categories.has("cpu_throttling");
  if (!memory && !gpu && !load) return [];
  const now = (flag: string) => {
    const v = flagValue(guess.args, flag);
    return v !== undefined ? ` (now ${v.slice(0, 40)})` : "";
  };
  const seqs = Number(flagValue(guess.args, "--max-num-seqs") ?? 256);
  const why = guess.why ? ` (${guess.why})` : "";
  switch (guess.server) {
    case "vllm": {
      const parts = [`lower --max-num-seqs${now("--max-num-seqs")} to ${Math.max(1, Math.floor((Number.isFinite(seqs) ? seqs : 256) / 2))} so fewer sequences hold memory at once`];
      if (memory && flagValue(guess.args, "--swap-space") !== undefined) parts.push(`lower --swap-space${now("--swap-space")}: the CPU swap for preempted sequences lives in the container's memory`);
      if (gpu || memory) parts.push(`lower --gpu-memory-utilization${now("--gpu-memory-utilization")} if the GPU is shared, or --max-model-len${now("--max-model-len")}`);
      return [{ step: `vLLM${why}: ${parts.join("; ")}.` }];
    }
    case "tgi":
      return [{ step: `TGI${why}: lower --max-concurrent-requests${now("--max-concurrent-requests")} and --max-batch-total-tokens${now("--max-batch-total-tokens")}${gpu ? `, or --cuda-memory-fraction${now("--cuda-memory-fraction")}` : ""}.` }];
    case "triton":
      return [{ step: `Triton${why}: lower max_batch_size and the instance_group count in the model's config.pbtxt, and bound the response cache (--cache-config local,size=<bytes>).` }];
    default:
      if (memory) return [{ step: "Cap what the server caches in memory (a maximum number of sessions or entries, a TTL, eviction) and lower its batch size or worker count." }];
      return load ? [{ step: "Cap the server's concurrency (batch size, worker or thread count) so a surge queues at the load balancer instead of starving every request of CPU." }] : [];
  }
}

/**
 * Actions sized from the bundle's metrics for the report's top categories; empty without metrics.
 * `memorySized` says a memory-limit action was given (the report then drops its blind 1.5× bump).
 */
export function metricActions(bundle: EvidenceBundle, categories: Set<SignalCategory>, n: Names): { actions: Action[]; memorySized: boolean } {
  const reading = bundleMetricsReading(bundle);
  if (!reading) return { actions: [], memorySized: false };
  const container = n.container.startsWith("<") ? undefined : n.container;
  const memory = categories.has("oom_killed") || categories.has("memory_leak") || categories.has("load_surge")
    ? memoryActions(reading, container, categories.has("memory_leak"), n)
    : [];
  const cpu = categories.has("cpu_throttling") ? cpuActions(reading, container, n) : [];
  const server = serverActions(detectModelServer(bundle), categories);
  const waiting = reading.series.find((s) => s.id === "requests_waiting" && s.points > 0);
  const queue = waiting?.trend?.direction === "rising" || categories.has("load_surge");
  const scale: Action[] =
    queue && (categories.has("load_surge") || categories.has("cpu_throttling"))
      ? [{ step: `Scale out so the queue drains${waiting?.now ? ` (${Math.round(waiting.now.v)} requests waiting now)` : ""}: add replicas, or raise the HorizontalPodAutoscaler's maxReplicas.`, command: `kubectl -n ${n.ns} get hpa\nkubectl -n ${n.ns} scale ${n.workload} --replicas=<current + 1>` }]
      : [];
  return { actions: [...memory, ...cpu, ...server, ...scale], memorySized: memory.length > 0 };
}
