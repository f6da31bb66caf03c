import type { Target } from "@/lib/alerts/types";
import { chooseStep } from "@/lib/prometheus/client";
import { alertExpression, vitalsQueries, type VitalsTarget } from "@/lib/prometheus/queries";
import { SERIES_IDS, type MetricsSeries, type Sample, type SeriesId } from "@/lib/prometheus/schema";
import { MAX_POINTS, vitalsWindow, type VitalsAlert, type VitalsResult, type VitalsSource } from "@/lib/prometheus/vitals";
import { DEMO_NAMESPACE, demoIncidents, type DemoIncident, type DemoScenario } from "@/lib/demo/incidents";

/**
 * The demo's Prometheus: for every demo incident the series a real cluster would have exported about its
 * pod (cAdvisor, kube-state-metrics, dcgm-exporter, the model server), in exactly the matrix shape the
 * real client returns, served through the same VitalsSource seam. The stories match the pods, logs and
 * events of lib/demo/evidence: the memory incident's climb toward its limit, the CPU incident's
 * throttling under a growing queue, the OOM incident's saw-tooth with a restart after each peak, the
 * GPU incident's memory at the card's size. Deterministic: the same incident and `now` give the same
 * samples (noise is a hash of the incident and the sample's offset from the alert's start).
 */

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const HOURS = 3;
/** An NVIDIA L4: 23,034 MiB of framebuffer as nvidia-smi and dcgm-exporter report it. */
const L4_BYTES = 23034 * MiB;

/** What a scenario exports, as functions of `ago` (seconds before now). */
interface DemoSeriesSpec {
  container: string;
  /** The pod's age: nothing was exported before it existed. */
  createdAgo: number;
  /** The containers ran (cAdvisor and the model server have series); a pending pod has only kube-state-metrics. */
  ran: boolean;
  memLimit?: number;
  memRequest?: number;
  cpuLimit?: number;
  cpuRequest?: number;
  /** Times (seconds before now) when the container restarted, oldest first; undefined: no status, no series. */
  restartsAgo?: number[];
  memory?: (ago: number) => number | undefined;
  cpu?: (ago: number) => number;
  throttled?: (ago: number) => number;
  gpu?: { used: (ago: number) => number; util: (ago: number) => number; uuid: string };
  server?: { running: (ago: number) => number; waiting: (ago: number) => number; rate: (ago: number) => number; kv?: (ago: number) => number };
  /** The alert expression's value for this pod; undefined where the comparison is false (no sample). */
  alert?: (ago: number) => number | undefined;
}

function hash(seed: string, k: number): number {
  let h = 2166136261 ^ k;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619);
  h = Math.imul(h ^ (h >>> 15), 2246822507);
  h = Math.imul(h ^ (h >>> 13), 3266489909);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/** The restart count at `ago` from restart times (seconds before now). */
function restartsAt(times: number[], ago: number): number {
  return times.filter((r) => r >= ago).length;
}

/** Seconds since the current container started, and how long it lived when it ended (undefined: still running). */
function segment(createdAgo: number, restarts: number[], ago: number): { elapsed: number; length?: number } {
  const starts = [createdAgo, ...restarts].filter((s) => s >= ago);
  const start = Math.min(...starts);
  const ends = restarts.filter((r) => r < ago);
  const end = ends.length ? Math.max(...ends) : undefined;
  return { elapsed: start - ago, length: end !== undefined ? start - end : undefined };
}

function spec(incident: DemoIncident, noise: (ago: number) => number): DemoSeriesSpec {
  const alertAgo = incident.startedMinutesAgo * 60;
  const restartRate30m = (restarts: number[]) => (ago: number) => {
    const n = restarts.filter((r) => r >= ago && r < ago + 1800).length;
    return n > 3 ? n : undefined;
  };
  switch (incident.scenario) {
    case "oom-killed": {
      // vLLM with --swap-space 16 under a traffic spike: host memory climbs with the preempted sequences
      // swapped to CPU until the kernel kills the container at its 24 GiB limit; three times.
      const restarts = [2100, 1145, 245];
      const limit = 24 * GiB;
      const p = (ago: number) => {
        const s = segment(3120, restarts, ago);
        return Math.min(1, s.elapsed / (s.length ?? 950));
      };
      return {
        container: "vllm",
        createdAgo: 3120,
        ran: true,
        memLimit: limit,
        memRequest: limit,
        cpuLimit: 8,
        cpuRequest: 4,
        restartsAgo: restarts,
        memory: (ago) => 14 * GiB + (limit * 0.995 - 14 * GiB) * p(ago) ** 1.5 + noise(ago) * 0.05 * GiB,
        cpu: (ago) => 1.2 + 3 * p(ago) + noise(ago) * 0.1,
        throttled: () => 0,
        gpu: { used: () => Math.round(0.92 * L4_BYTES / MiB) * MiB, util: (ago) => Math.min(99, 25 + 74 * p(ago)), uuid: "GPU-3f2a1b7c-9d4e-4c1a-8b2f-6e5d4c3b2a19" },
        server: {
          running: (ago) => Math.round(18 + 160 * p(ago) ** 2),
          waiting: (ago) => Math.round(60 * Math.max(0, p(ago) - 0.5) * 2),
          rate: (ago) => 2.5 + 6 * p(ago) ** 1.5 + noise(ago) * 0.1,
          kv: (ago) => Math.min(0.999, 0.3 + 0.7 * p(ago) ** 1.2),
        },
        alert: (ago) => (ago <= 2100 ? 1 : undefined),
      };
    }
    case "image-pull":
      return { container: "triton", createdAgo: 570, ran: false, memLimit: 8 * GiB, memRequest: 8 * GiB, cpuRequest: 2, restartsAgo: [], alert: (ago) => (ago <= 570 ? 1 : undefined) };
    case "unschedulable-gpu":
      // Never scheduled: no container status, so kube-state-metrics has no restart series either.
      return { container: "tei", createdAgo: 1380, ran: false, memLimit: 6 * GiB, memRequest: 6 * GiB, cpuRequest: 2, alert: (ago) => (ago <= 1380 ? 1 : undefined) };
    case "liveness-slow-load": {
      // Whisper loading from NFS: memory and GPU memory rise while it loads, then the liveness probe kills it well below the limit.
      const restarts = [1835, 1490, 1145, 800, 455, 110];
      const load = (ago: number) => Math.min(1, segment(2400, restarts, ago).elapsed / 330);
      return {
        container: "asr",
        createdAgo: 2400,
        ran: true,
        memLimit: 16 * GiB,
        memRequest: 16 * GiB,
        cpuRequest: 4,
        restartsAgo: restarts,
        memory: (ago) => 1.2 * GiB + 7.5 * GiB * load(ago) + noise(ago) * 0.05 * GiB,
        cpu: (ago) => 0.9 + noise(ago) * 0.1,
        gpu: { used: (ago) => 600 * MiB + 3.1 * GiB * load(ago), util: () => 2, uuid: "GPU-7c9e1d2b-4a6f-4e8d-9b1c-2f3a4b5c6d7e" },
        alert: restartRate30m(restarts),
      };
    }
    case "hf-unauthorized": {
      const restarts = [1775, 1565, 1355, 1145, 935, 725, 515, 305, 95];
      return {
        container: "server",
        createdAgo: 3000,
        ran: true,
        memLimit: 24 * GiB,
        memRequest: 24 * GiB,
        cpuRequest: 4,
        restartsAgo: restarts,
        // The container lives a few seconds per attempt: cAdvisor sees it only in the scrape right after a start.
        memory: (ago) => (restarts.some((r) => r >= ago && r - ago < 60) ? 380 * MiB : undefined),
        cpu: (ago) => (restarts.some((r) => r >= ago && r - ago < 300) ? 0.4 : 0),
        alert: restartRate30m(restarts),
      };
    }
    case "cpu-throttling": {
      // Traffic ramps up from 19 to 9 minutes ago; the 2-core limit caps the reranker and the queue grows.
      const load = (ago: number) => Math.max(0, Math.min(1, (1137 - ago) / 630));
      return {
        container: "reranker",
        createdAgo: 1860,
        ran: true,
        memLimit: 4 * GiB,
        memRequest: 4 * GiB,
        cpuLimit: 2,
        cpuRequest: 2,
        restartsAgo: [],
        memory: (ago) => 2.1 * GiB + noise(ago) * 0.02 * GiB,
        cpu: (ago) => Math.min(1.99, 1.5 + 0.47 * load(ago) + noise(ago) * 0.02),
        throttled: (ago) => Math.max(0, 0.15 + 0.53 * load(ago) + noise(ago) * 0.02),
        server: {
          running: (ago) => Math.round(8 + 8 * load(ago)),
          waiting: (ago) => Math.round(40 * load(ago) ** 1.5),
          rate: (ago) => 12 + 14 * load(ago) + noise(ago) * 0.3,
        },
        alert: (ago) => {
          const ratio = Math.min(1.99, 1.5 + 0.47 * load(ago)) / 2;
          return ratio > 0.9 ? ratio : undefined;
        },
      };
    }
    case "kv-cache-memory": {
      // The session cache's growth as its log reports it (about 80 tokens/s at 57,344 bytes per token),
      // on top of the process's 5.6 GiB and 0.8 GiB of page cache.
      const perSecond = (80 * 57_344) / GiB;
      const ws = (ago: number) => {
        const up = 5500 - 4 - ago;
        if (up < 0) return undefined;
        return (Math.min(1, up / 60) * 5.6 + 0.8 + perSecond * Math.max(0, up - 60)) * GiB + noise(ago) * 0.03 * GiB;
      };
      return {
        container: "server",
        createdAgo: 5500,
        ran: true,
        memLimit: 32 * GiB,
        memRequest: 32 * GiB,
        cpuRequest: 4,
        restartsAgo: [],
        memory: ws,
        cpu: (ago) => 1.1 + noise(ago) * 0.2,
        gpu: { used: () => 19.6 * GiB, util: (ago) => 45 + noise(ago) * 15, uuid: "GPU-3f2a1b7c-9d4e-4c1a-8b2f-6e5d4c3b2a19" },
        alert: (ago) => {
          const v = ws(ago);
          return v !== undefined && v / (32 * GiB) > 0.9 && ago <= alertAgo + 600 ? v / (32 * GiB) : undefined;
        },
      };
    }
    case "cuda-oom": {
      // SDXL on an L4: the caching allocator holds about 17.5 GiB between jobs; a batch of 4 takes the card to
      // its full 22.5 GiB and the process dies with a CUDA OOM, four times.
      const restarts = [2150, 1600, 1070, 205];
      const used = (ago: number) => {
        const s = segment(2700, restarts, ago);
        if (s.elapsed < 45) return 7.2 * GiB;
        if (s.length !== undefined && s.length - s.elapsed < 60) return L4_BYTES - 90 * MiB;
        return 17.5 * GiB + noise(ago) * 0.4 * GiB;
      };
      return {
        container: "sdxl",
        createdAgo: 2700,
        ran: true,
        memLimit: 20 * GiB,
        memRequest: 20 * GiB,
        cpuRequest: 4,
        restartsAgo: restarts,
        memory: (ago) => 9 * GiB + noise(ago) * 0.2 * GiB,
        cpu: (ago) => 1.2 + noise(ago) * 0.2,
        gpu: { used, util: (ago) => 80 + noise(ago) * 15, uuid: "GPU-7c9e1d2b-4a6f-4e8d-9b1c-2f3a4b5c6d7e" },
        alert: restartRate30m(restarts),
      };
    }
  }
}

/** A Go float string as Prometheus writes it, at a precision fit for the unit. */
function value(v: number, integer: boolean): string {
  return String(integer ? Math.round(v) : Math.round(v * 1e6) / 1e6);
}

const SCENARIOS: ReadonlySet<DemoScenario> = new Set(demoIncidents.map((i) => i.scenario));

/**
 * The metrics part of a demo incident's pod as Prometheus would answer the console's queries over the
 * window `vitalsWindow` gives for the alert (3 h before it started until `nowMs`).
 */
export function demoVitals(incident: DemoIncident, target: VitalsTarget, nowMs: number, startsAt?: string): VitalsResult {
  if (!SCENARIOS.has(incident.scenario)) return { errors: [], absent: [] };
  const alertStart = startsAt ?? new Date(nowMs - incident.startedMinutesAgo * 60_000).toISOString();
  const window = vitalsWindow({ nowMs, hours: HOURS, startsAt: alertStart });
  const step = chooseStep(window.end - window.start, MAX_POINTS);
  const end = Math.floor(window.end / step) * step;
  const start = Math.min(end, Math.floor(window.start / step) * step);
  const nowSec = nowMs / 1000;
  const alertSec = Date.parse(alertStart) / 1000;
  const seed = incident.fingerprint;
  // Noise keyed by the sample's offset from the alert's start: the same incident draws the same wiggles.
  const noise = (ago: number) => hash(seed, Math.round((nowSec - ago - alertSec) / step)) * 2 - 1;
  const s = spec(incident, noise);
  const queries = new Map(vitalsQueries(target, { stepSeconds: step, alertExpr: alertExpression(incident.generatorURL) }).map((q) => [q.id, q]));
  const times: number[] = [];
  for (let t = start; t <= end; t += step) times.push(t);
  const container = target.container ?? s.container;
  const podLabels = { namespace: target.namespace, pod: target.pod };
  const cLabels = { container, ...podLabels };
  const series: MetricsSeries[] = [];
  const add = (id: SeriesId, labels: Record<string, string>, f: (ago: number) => number | undefined, integer = false) => {
    const q = queries.get(id);
    if (!q) return;
    const values: Sample[] = [];
    for (const t of times) {
      const ago = nowSec - t;
      if (ago > s.createdAgo) continue;
      const v = f(ago);
      if (v !== undefined && Number.isFinite(v)) values.push([t, value(v, integer)]);
    }
    if (values.length > 0) series.push({ id, query: q.query, unit: q.unit, labels, values });
  };
  // A container the pod does not have answers nothing, as Prometheus would.
  if (container === s.container) {
    if (s.ran && s.memory) add("memory_working_set", cLabels, s.memory, true);
    if (s.memLimit !== undefined) add("memory_limit", cLabels, () => s.memLimit, true);
    if (s.memRequest !== undefined) add("memory_request", cLabels, () => s.memRequest, true);
    if (s.ran && s.cpu) add("cpu_usage", cLabels, s.cpu);
    if (s.cpuLimit !== undefined) add("cpu_limit", cLabels, () => s.cpuLimit);
    if (s.cpuRequest !== undefined) add("cpu_request", cLabels, () => s.cpuRequest);
    if (s.ran && s.throttled && s.cpuLimit !== undefined) add("cpu_throttled_ratio", cLabels, s.throttled);
    const restarts = s.restartsAgo;
    if (restarts) add("restarts", cLabels, (ago) => restartsAt(restarts, ago), true);
  }
  if (s.ran && s.gpu) {
    const g = s.gpu;
    const labels = { UUID: g.uuid, gpu: "0", modelName: "NVIDIA L4" };
    add("gpu_memory_used", labels, g.used, true);
    add("gpu_memory_free", labels, (ago) => L4_BYTES - g.used(ago), true);
    add("gpu_util", labels, (ago) => Math.round(Math.max(0, Math.min(100, g.util(ago)))), true);
    add("gpu_xid", labels, () => 0, true);
  }
  if (s.ran && s.server) {
    const m = s.server;
    add("requests_running", podLabels, m.running, true);
    add("requests_waiting", podLabels, m.waiting, true);
    if (m.kv) add("kv_cache_usage", podLabels, m.kv);
    add("request_rate", podLabels, m.rate);
  }
  if (s.alert) add("alert_expr", { ...cLabels }, s.alert);
  const have = new Set(series.map((x) => x.id));
  const absent = SERIES_IDS.filter((id) => queries.has(id) && !have.has(id));
  return { metrics: { source: "demo", start, end, stepSeconds: step, series }, errors: [], absent };
}

/** The demo's VitalsSource: the series of the demo incident whose pod the target names; none for any other pod. */
export function createDemoVitals(deps: { now?: () => number } = {}): VitalsSource {
  return {
    async read(target: Target, alert: VitalsAlert) {
      const incident = demoIncidents.find((i) => i.labels.pod === target.pod && target.namespace === DEMO_NAMESPACE);
      if (!incident) return undefined;
      return demoVitals(incident, { namespace: target.namespace, pod: target.pod, ...(target.container ? { container: target.container } : {}) }, (deps.now ?? Date.now)(), alert.startsAt);
    },
  };
}
