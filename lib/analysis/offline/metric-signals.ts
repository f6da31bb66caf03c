import type { EvidenceBundle } from "@/lib/cluster/bundle";
import type { SignalEvidence } from "@/lib/analysis/types";
import { bundleMetricsReading } from "@/lib/analysis/metrics-summary";
import { formatBytes, formatCores, formatDuration, formatPerHour, formatRatio } from "@/lib/prometheus/format";
import type { FindingKind, MetricsReading, SeriesReading } from "@/lib/prometheus/reading";
import type { SeriesId } from "@/lib/prometheus/schema";
import type { Finding } from "./log-signals";
import { splitRaw } from "./text";

/**
 * Signals from the bundle's metrics reading (lib/prometheus/reading): memory at the limit before each
 * restart (oom_killed), memory rising while the traffic is flat (memory_leak) or with it (load_surge),
 * CPU throttled at its limit (cpu_throttling), GPU memory at the card's size (gpu_oom). Every evidence
 * item quotes one line of the metrics summary (source `metrics`), which the grounding check verifies.
 */

const metric = (line: string): SignalEvidence => ({ source: "metrics", text: line });

/** The series of the alert's container (or the only one) among the readings of an id. */
export function targetSeries(reading: MetricsReading, id: SeriesId, container: string | undefined): SeriesReading | undefined {
  const list = reading.series.filter((s) => s.id === id);
  return list.find((s) => container !== undefined && s.key === container) ?? list.find((s) => s.points > 0);
}

function lines(reading: MetricsReading, kind: FindingKind, id?: SeriesId, key?: string): string[] {
  return reading.findings.filter((f) => f.kind === kind && (id === undefined || f.id === id) && (key === undefined || f.key === key)).map((f) => f.line);
}

function first(reading: MetricsReading, kind: FindingKind, id?: SeriesId, key?: string): string[] {
  return lines(reading, kind, id, key).slice(0, 1);
}

/** Log lines that say a cache has no bound (no size, no TTL, no eviction): what turns a cache into a leak. */
const UNBOUNDED_CACHE =
  /\b(?:max_?(?:sessions|entries|size|items)|maxsize|ttl(?:_seconds)?|capacity)\s*[=:]\s*(?:None|null|unbounded|inf|-1)\b|no eviction(?: policy)?/i;
const MAX_SCAN_LINES = 50_000;

function unboundedCacheEvidence(bundle: EvidenceBundle): SignalEvidence | undefined {
  for (const source of ["logs", "previousLogs"] as const) {
    const raws = splitRaw(bundle[source]).slice(0, MAX_SCAN_LINES);
    const i = raws.findIndex((l) => l.length <= 2000 && UNBOUNDED_CACHE.test(l));
    const raw = raws[i];
    if (raw !== undefined) return { source, line: i + 1, text: raw.trim() };
  }
  return undefined;
}

function projectionText(r: SeriesReading): string {
  if (r.limitReachedAt === undefined || !r.now) return "";
  return `; reaches its ${formatBytes(r.limit ?? 0)} limit in about ${formatDuration(r.limitReachedAt - r.now.t)}`;
}

function memoryFindings(bundle: EvidenceBundle, reading: MetricsReading, container: string | undefined): Finding[] {
  const out: Finding[] = [];
  const oom = reading.findings.filter((f) => f.kind === "oom_at_limit");
  if (oom.length > 0) {
    const mem = reading.series.find((s) => s.id === "memory_working_set" && s.key === oom[0]?.key);
    const limit = mem?.limit !== undefined ? ` (${formatBytes(mem.limit)})` : "";
    out.push({
      category: "oom_killed",
      title: `Memory reached its limit${limit} just before ${oom.length === 1 ? "a restart" : `each of ${oom.length} restarts`}: OOM kill${oom.length === 1 ? "" : "s"}`,
      confidence: oom.length > 1 ? 0.92 : 0.88,
      evidence: [...oom.slice(-3).map((f) => metric(f.line)), ...first(reading, "restarts").map(metric)],
      key: "metrics:oom",
    });
  }

  const cache = unboundedCacheEvidence(bundle);
  for (const f of reading.findings) {
    if (f.kind !== "memory_leak" && f.kind !== "load_growth" && f.kind !== "memory_rising") continue;
    if (container !== undefined && f.key !== "" && f.key !== container && reading.series.some((s) => s.id === f.id && s.key === container)) continue;
    const r = reading.series.find((s) => s.id === f.id && s.key === f.key);
    if (!r?.trend) continue;
    const rate = formatPerHour(r.trend.slopePerHour, r.unit);
    const near = r.limitReachedAt !== undefined || (r.fractionOfLimit ?? 0) >= 0.8;
    const support = [...first(reading, "projection", f.id, f.key), ...first(reading, "above_90", f.id, f.key)].map(metric);
    if (f.kind === "memory_leak") {
      out.push({
        category: "memory_leak",
        title: `Memory leak: ${r.name} rising ${rate} while the traffic stays flat${projectionText(r)}${cache ? " (a cache without a bound)" : ""}`,
        confidence: cache ? 0.9 : 0.85,
        evidence: [metric(f.line), ...support, ...(cache ? [cache] : [])],
        key: `metrics:leak:${f.key}`,
      });
    } else if (f.kind === "load_growth") {
      out.push({
        category: "load_surge",
        title: `Load surge: ${r.name} rising ${rate} with the request rate${projectionText(r)}`,
        confidence: near ? 0.75 : 0.6,
        evidence: [metric(f.line), ...support, ...first(reading, "level", "requests_waiting").map(metric)],
        key: `metrics:load:${f.key}`,
      });
    } else if (near && r.trend.r2 >= 0.8 && f.line.includes("no request-rate series")) {
      // A steady climb toward the limit with nothing to compare it to: a leak until the traffic says otherwise.
      out.push({
        category: "memory_leak",
        title: `${cache ? "Memory leak" : "Memory rising steadily toward the limit"}: ${r.name} at ${formatRatio(r.fractionOfLimit ?? 0)} of its limit, rising ${rate}${projectionText(r)}${cache ? " (a cache without a bound)" : "; no request-rate series to tell a leak from load"}`,
        confidence: cache ? 0.8 : 0.6,
        evidence: [metric(f.line), ...support, ...first(reading, "level", f.id, f.key).map(metric), ...(cache ? [cache] : [])],
        key: `metrics:rising:${f.key}`,
      });
    }
  }
  return out;
}

function trafficFindings(reading: MetricsReading): Finding[] {
  const rate = reading.series.find((s) => s.id === "request_rate" && s.points > 0);
  if (!rate?.min || !rate.max || !rate.now || !rate.trend) return [];
  const stepUp = rate.steps.some((s) => s.to >= 1.5 * Math.max(s.from, 1e-9));
  const rose = rate.trend.direction === "rising" && rate.now.v >= 1.5 * Math.max(rate.min.v, 1e-9);
  if (!stepUp && !rose) return [];
  const waiting = reading.series.find((s) => s.id === "requests_waiting" && s.points > 0);
  const queued = waiting?.trend?.direction === "rising" || (waiting?.steps.some((s) => s.to > s.from) ?? false);
  return [
    {
      category: "load_surge",
      title: `Traffic rose from ${rate.min.v.toFixed(2)} to ${rate.now.v.toFixed(2)} req/s${queued && waiting?.now ? `, ${Math.round(waiting.now.v)} requests waiting` : ""}`,
      confidence: queued ? 0.6 : 0.5,
      evidence: [
        ...first(reading, "level", "request_rate"),
        ...first(reading, "step", "request_rate"),
        ...(queued ? first(reading, "level", "requests_waiting") : []),
      ].map(metric),
      key: "metrics:traffic",
    },
  ];
}

function cpuFindings(reading: MetricsReading): Finding[] {
  const out: Finding[] = [];
  for (const f of reading.findings) {
    if (f.kind !== "cpu_limit_too_low" && f.kind !== "cpu_bursts") continue;
    const usage = reading.series.find((s) => s.id === "cpu_usage" && s.key === f.key);
    const throttled = reading.series.find((s) => s.id === "cpu_throttled_ratio" && s.key === f.key);
    const waiting = reading.series.find((s) => s.id === "requests_waiting" && s.points > 0);
    const queued = waiting?.trend?.direction === "rising";
    const at = usage?.limit !== undefined && usage.mean !== undefined ? ` at ${formatCores(usage.mean)} of its ${formatCores(usage.limit)} limit` : "";
    out.push({
      category: "cpu_throttling",
      title:
        f.kind === "cpu_limit_too_low"
          ? `CPU limit too low: throttled in ${formatRatio(throttled?.mean ?? 0)} of periods${at}${queued ? " while requests queue up" : ""}`
          : `CPU throttled in ${formatRatio(throttled?.mean ?? 0)} of periods by short bursts over the limit`,
      confidence: f.kind === "cpu_limit_too_low" ? 0.88 : 0.6,
      evidence: [
        f.line,
        ...first(reading, "throttling", "cpu_throttled_ratio", f.key),
        ...first(reading, "level", "cpu_usage", f.key),
        ...(queued ? first(reading, "level", "requests_waiting") : []),
      ].map(metric),
      key: `metrics:cpu:${f.key}`,
    });
  }
  return out;
}

function gpuFindings(reading: MetricsReading): Finding[] {
  const gpu = reading.series.find((s) => s.id === "gpu_memory_used" && s.limit !== undefined && s.max !== undefined && s.max.v >= 0.95 * (s.limit ?? Infinity));
  if (!gpu?.max || gpu.limit === undefined) return [];
  return [
    {
      category: "gpu_oom",
      title: `GPU memory reached ${formatBytes(gpu.max.v)} of the card's ${formatBytes(gpu.limit)}`,
      // Full GPU memory is normal for servers that preallocate (vLLM): it supports a CUDA OOM, never proves one.
      confidence: 0.45,
      evidence: first(reading, "level", "gpu_memory_used", gpu.key).map(metric),
      key: "metrics:gpu",
    },
  ];
}

/** Signals read from the bundle's metrics part; none without one. */
export function metricFindings(bundle: EvidenceBundle, container: string | undefined): Finding[] {
  const reading = bundleMetricsReading(bundle);
  if (!reading) return [];
  return [...memoryFindings(bundle, reading, container), ...trafficFindings(reading), ...cpuFindings(reading), ...gpuFindings(reading)].filter(
    (f) => f.evidence.length > 0,
  );
}
