import {
  formatClock,
  formatDateTime,
  formatDuration,
  formatPerHour,
  formatRatio,
  formatValue,
} from "@/lib/prometheus/format";
import { SERIES_LABELS } from "@/lib/prometheus/queries";
import { SERIES_IDS, type BundleMetrics, type MetricsSeries, type SeriesId, type SeriesUnit } from "@/lib/prometheus/schema";
import {
  correlation,
  counterIncreases,
  findGaps,
  findSteps,
  leastSquares,
  parseSamples,
  type Gap,
  type Increase,
  type Point,
  type Step,
} from "@/lib/prometheus/stats";

/**
 * The deterministic reading of a bundle's metrics: per series the level now, min and max, the trend and,
 * against a limit, when it would be reached and how long it was above 90 %; step changes; throttling;
 * and the relations an SRE looks for (memory at the limit before each restart, memory rising with or
 * without the traffic, CPU throttled at its limit). Each finding has one line of the "metrics summary":
 * reports quote those lines and the grounding step checks quotes against them, so the same bundle
 * always gives the same lines (times in UTC, numbers formatted by ./format).
 */

/** Facts from outside the bundle's series that sharpen a relation. */
export interface ReadingContext {
  /** CPU cores free on the pod's node (allocatable minus used), when known. */
  nodeCpuFreeCores?: number;
}

export type TrendDirection = "rising" | "falling" | "flat";

export interface Trend {
  direction: TrendDirection;
  /** Least-squares slope in the series' unit per hour, over the points since `since`. */
  slopePerHour: number;
  /** Start of the fitted stretch (unix seconds): the window's start, or the last step or restart. */
  since: number;
  r2: number;
}

export interface SeriesReading {
  id: SeriesId;
  unit: SeriesUnit;
  labels: Record<string, string>;
  /** What tells this series from others of its id: the container, or the GPU. */
  key: string;
  /** Its name in the summary lines, qualified when several series share the id. */
  name: string;
  /** The qualifier in that name (`container vllm`, `GPU 0`), when several series share the id. */
  qualifier?: string;
  /** Finite points. */
  points: number;
  /** NaN and ±Inf samples, left out of every figure. */
  nonFinite: number;
  gaps: Gap[];
  missingSeconds: number;
  now?: Point;
  min?: Point;
  max?: Point;
  mean?: number;
  trend?: Trend;
  /** The limit it is read against (its container's limit, a GPU's memory, 100 % of the KV cache). */
  limit?: number;
  request?: number;
  fractionOfLimit?: number;
  secondsAbove90?: number;
  /** When the trend reaches the limit, projected (unix seconds). */
  limitReachedAt?: number;
  steps: Step[];
  /** Counter growth (restarts), resets handled. */
  increases: Increase[];
}

export type FindingKind =
  | "level"
  | "projection"
  | "above_90"
  | "step"
  | "throttling"
  | "restarts"
  | "oom_at_limit"
  | "restart_below_limit"
  | "memory_leak"
  | "load_growth"
  | "memory_rising"
  | "cpu_limit_too_low"
  | "cpu_bursts"
  | "gpu_xid"
  | "absent"
  | "gaps";

export interface MetricFinding {
  kind: FindingKind;
  /** The series it is about (the usage series for relations). */
  id: SeriesId;
  /** The series' key (container or GPU); "" for pod-level series. */
  key: string;
  /** When it happened (unix seconds), for steps, restarts and projections. */
  at?: number;
  /** Its line in the metrics summary. */
  line: string;
}

export interface MetricsReading {
  /** First line of the summary block: source, window, step. */
  header: string;
  series: SeriesReading[];
  /** In summary order. */
  findings: MetricFinding[];
  /** The summary lines, one per finding: what reports quote and grounding verifies. */
  lines: string[];
  /** Series ids with no series in the bundle (alert_expr excepted). */
  absent: SeriesId[];
}

/** At most this many summary lines, each at most MAX_LINE_LENGTH characters. */
export const MAX_SUMMARY_LINES = 40;
export const MAX_LINE_LENGTH = 300;
/** Lines of one kind (level lines excepted), so restarts of many containers cannot crowd out the rest. */
export const MAX_PER_KIND = 8;

const NEAR_LIMIT = 0.9;
const TREND_MIN_SHARE = 0.05;
const TREND_MIN_R2 = 0.3;
const THROTTLED = 0.25;
const PROJECT_AT_MOST_SECONDS = 7 * 86400;

const PRIORITY: Record<FindingKind, number> = {
  oom_at_limit: 0,
  restart_below_limit: 0,
  memory_leak: 0,
  load_growth: 0,
  memory_rising: 0,
  cpu_limit_too_low: 0,
  cpu_bursts: 0,
  level: 1,
  throttling: 1,
  restarts: 1,
  gpu_xid: 1,
  projection: 2,
  above_90: 2,
  step: 3,
  absent: 4,
  gaps: 4,
};

const RATE_IDS: ReadonlySet<SeriesId> = new Set(["request_rate", "request_errors"]);
/** Series folded into another's line (as its limit or request) when that one exists. */
const FOLDED: Partial<Record<SeriesId, SeriesId>> = {
  memory_limit: "memory_working_set",
  memory_request: "memory_working_set",
  cpu_limit: "cpu_usage",
  cpu_request: "cpu_usage",
  gpu_memory_free: "gpu_memory_used",
};
const LIMIT_OF: Partial<Record<SeriesId, { limit: SeriesId; request: SeriesId }>> = {
  memory_working_set: { limit: "memory_limit", request: "memory_request" },
  cpu_usage: { limit: "cpu_limit", request: "cpu_request" },
};

function clean(s: string, max = 64): string {
  const one = s.replace(/[\u0000-\u001f\u007f`]+/g, " ").trim();
  return one.length > max ? `${one.slice(0, max)}…` : one;
}

function seriesKey(s: MetricsSeries): string {
  const l = s.labels;
  return l.container ?? l.UUID ?? l.gpu_uuid ?? l.gpu ?? "";
}

function qualifier(s: MetricsSeries, index: number): string {
  const l = s.labels;
  if (l.container) return `container ${clean(l.container)}`;
  if (l.gpu !== undefined || l.UUID || l.gpu_uuid) return `GPU ${clean(l.gpu ?? l.UUID ?? l.gpu_uuid ?? "")}`;
  if (l.model_name) return `model ${clean(l.model_name)}`;
  return `series ${index + 1}`;
}

/** How many points are at or after t (points sorted by time). */
function pointsFrom(points: Point[], t: number): number {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((points[mid]?.t ?? Infinity) < t) lo = mid + 1;
    else hi = mid;
  }
  return points.length - lo;
}

/** A value at any time from a step function of points (the latest at or before t, else the first). */
function stepLookup(points: Point[]): (t: number) => number | undefined {
  return (t) => {
    let lo = 0;
    let hi = points.length - 1;
    let found: Point | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const p = points[mid];
      if (!p) break;
      if (p.t <= t) {
        found = p;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return (found ?? points[0])?.v;
  };
}

interface Parsed {
  s: MetricsSeries;
  points: Point[];
  nonFinite: number;
  key: string;
}

function sameKey(list: Parsed[], key: string): Parsed | undefined {
  return list.find((p) => p.key === key) ?? (list.length === 1 ? list[0] : undefined);
}

/**
 * Read a bundle's metrics. Pure and deterministic: the same metrics and context give the same reading.
 */
export function readMetrics(metrics: BundleMetrics, context: ReadingContext = {}): MetricsReading {
  const step = metrics.stepSeconds;
  const byId = new Map<SeriesId, Parsed[]>();
  for (const s of metrics.series) {
    const { points, nonFinite } = parseSamples(s.values);
    const list = byId.get(s.id) ?? [];
    list.push({ s, points, nonFinite, key: seriesKey(s) });
    byId.set(s.id, list);
  }
  const get = (id: SeriesId) => byId.get(id) ?? [];

  const restartTimes = new Map<string, number[]>();
  for (const r of get("restarts")) {
    restartTimes.set(r.key, counterIncreases(r.points).map((i) => i.t));
  }

  const readings: SeriesReading[] = [];
  const readingOf = new Map<MetricsSeries, SeriesReading>();
  for (const id of SERIES_IDS) {
    const list = get(id);
    list.forEach((p, index) => {
      const r = readSeries(p, list.length > 1 ? qualifier(p.s, index) : undefined, step, {
        limitSeries: limitPoints(id, p, get),
        requestSeries: LIMIT_OF[id] ? sameKey(get(LIMIT_OF[id].request), p.key)?.points : undefined,
        constantLimit: id === "kv_cache_usage" ? 1 : undefined,
        restarts: restartTimes.get(p.key) ?? (restartTimes.size === 1 ? [...restartTimes.values()][0] : undefined),
      });
      readings.push(r);
      readingOf.set(p.s, r);
    });
  }

  const findings: MetricFinding[] = [];
  const add = (kind: FindingKind, r: Pick<SeriesReading, "id" | "key">, line: string, at?: number) =>
    findings.push({ kind, id: r.id, key: r.key, line: line.length > MAX_LINE_LENGTH ? `${line.slice(0, MAX_LINE_LENGTH - 1)}…` : line, ...(at !== undefined ? { at } : {}) });

  for (const r of readings) seriesFindings(r, byId, metrics, add);
  relations(byId, readingOf, step, context, add);
  const absent = SERIES_IDS.filter((id) => id !== "alert_expr" && get(id).length === 0);
  absentFindings(absent, add);
  gapFindings(readings, add);

  const perKind = new Map<FindingKind, number>();
  const ordered = findings
    .filter((f) => {
      const n = (perKind.get(f.kind) ?? 0) + 1;
      perKind.set(f.kind, n);
      return f.kind === "level" || n <= MAX_PER_KIND;
    })
    .map((f, i) => ({ f, i }))
    .sort((a, b) => PRIORITY[a.f.kind] - PRIORITY[b.f.kind] || a.i - b.i)
    .slice(0, MAX_SUMMARY_LINES)
    .map((x) => x.f);
  return { header: header(metrics), series: readings, findings: ordered, lines: ordered.map((f) => f.line), absent };
}

/** The summary block: the header, then one `- ` line per finding. Bounded by MAX_SUMMARY_LINES. */
export function renderMetricsSummary(reading: MetricsReading): string {
  return [reading.header, ...reading.lines.map((l) => `- ${l}`)].join("\n");
}

/** The summary lines of a bundle's metrics (what a quoted metric line must be one of). */
export function metricsSummaryLines(metrics: BundleMetrics, context?: ReadingContext): string[] {
  return readMetrics(metrics, context).lines;
}

function header(m: BundleMetrics): string {
  const sameDay = formatDateTime(m.start).slice(0, 10) === formatDateTime(m.end).slice(0, 10);
  const end = sameDay ? formatClock(m.end) : formatDateTime(m.end);
  return `metrics from ${clean(m.source, 200)}, ${formatDateTime(m.start)} to ${end} UTC (${formatDuration(m.end - m.start)}), one point per ${m.stepSeconds} s`;
}

function limitPoints(id: SeriesId, p: Parsed, get: (id: SeriesId) => Parsed[]): Point[] | undefined {
  const pair = LIMIT_OF[id];
  if (pair) return sameKey(get(pair.limit), p.key)?.points;
  if (id === "gpu_memory_used") {
    const free = sameKey(get("gpu_memory_free"), p.key)?.points;
    if (!free?.length) return undefined;
    const freeAt = stepLookup(free);
    return p.points.map((q) => ({ t: q.t, v: q.v + (freeAt(q.t) ?? 0) }));
  }
  return undefined;
}

function readSeries(
  p: Parsed,
  qual: string | undefined,
  step: number,
  ctx: { limitSeries?: Point[]; requestSeries?: Point[]; constantLimit?: number; restarts?: number[] },
): SeriesReading {
  const { s, points } = p;
  // Gaps are missing samples; a NaN sample is a sample (counted in nonFinite).
  const gaps = findGaps(s.values.map(([t]) => t), step);
  const r: SeriesReading = {
    id: s.id,
    unit: s.unit,
    labels: s.labels,
    key: p.key,
    name: `${SERIES_LABELS[s.id]}${qual ? ` (${qual})` : ""}`,
    ...(qual ? { qualifier: qual } : {}),
    points: points.length,
    nonFinite: p.nonFinite,
    gaps,
    missingSeconds: gaps.reduce((n, g) => n + (g.to - g.from - step), 0),
    steps: [],
    increases: [],
  };
  if (points.length === 0) return r;
  let min = points[0];
  let max = points[0];
  let sum = 0;
  for (const q of points) {
    if (min && q.v < min.v) min = q;
    if (max && q.v > max.v) max = q;
    sum += q.v;
  }
  r.now = points.at(-1);
  r.min = min;
  r.max = max;
  r.mean = sum / points.length;
  if (s.id === "restarts") {
    r.increases = counterIncreases(points);
    return r;
  }
  if (s.id === "gpu_xid") return r;
  r.steps = findSteps(points);

  const limitAt = ctx.limitSeries?.length ? stepLookup(ctx.limitSeries) : ctx.constantLimit !== undefined ? () => ctx.constantLimit : undefined;
  const now = r.now;
  if (limitAt && now) {
    const limit = limitAt(now.t);
    if (limit !== undefined && limit > 0) {
      r.limit = limit;
      r.fractionOfLimit = now.v / limit;
    }
    let above = 0;
    for (const q of points) {
      const l = limitAt(q.t);
      if (l !== undefined && l > 0 && q.v >= NEAR_LIMIT * l) above++;
    }
    r.secondsAbove90 = above * step;
  }
  if (ctx.requestSeries?.length) r.request = ctx.requestSeries.at(-1)?.v;

  // The trend is fitted since the last level change (a step, or a restart of this container).
  const cuts = [...r.steps.map((x) => x.t), ...(ctx.restarts ?? [])].filter((t) => pointsFrom(points, t) >= 5);
  const since = Math.max(points[0]?.t ?? 0, ...cuts);
  const segment = points.filter((q) => q.t >= since);
  const fit = leastSquares(segment);
  if (fit && now) {
    const last = segment.at(-1)?.t ?? now.t;
    const rise = fit.slope * (last - since);
    const scale = r.limit ?? Math.max(Math.abs(max?.v ?? 0), Math.abs(min?.v ?? 0));
    const direction: TrendDirection =
      scale === 0 || Math.abs(rise) < TREND_MIN_SHARE * scale || fit.r2 < TREND_MIN_R2 ? "flat" : rise > 0 ? "rising" : "falling";
    r.trend = { direction, slopePerHour: fit.slope * 3600, since, r2: fit.r2 };
    if (direction === "rising" && r.limit !== undefined && now.v < r.limit) {
      const seconds = (r.limit - now.v) / fit.slope;
      if (seconds <= PROJECT_AT_MOST_SECONDS) r.limitReachedAt = Math.round(now.t + seconds);
    }
  }
  return r;
}

type Add = (kind: FindingKind, r: Pick<SeriesReading, "id" | "key">, line: string, at?: number) => void;

function fmt(r: Pick<SeriesReading, "id" | "unit">, v: number): string {
  return formatValue(v, r.unit, RATE_IDS.has(r.id));
}

function trendText(r: SeriesReading): string {
  const t = r.trend;
  if (!t) return "";
  if (t.direction === "flat") return ", flat";
  return `, ${t.direction} ${formatPerHour(Math.abs(t.slopePerHour), r.unit, RATE_IDS.has(r.id))} since ${formatClock(t.since)}`;
}

function seriesFindings(r: SeriesReading, byId: Map<SeriesId, Parsed[]>, m: BundleMetrics, add: Add): void {
  const host = FOLDED[r.id];
  const folded = host !== undefined && (byId.get(host)?.length ?? 0) > 0;
  if (!r.now || !r.min || !r.max) {
    if (r.nonFinite > 0 && !folded) add("level", r, `${r.name} has no finite value in the window (${r.nonFinite} NaN/Inf samples)`);
    return;
  }
  if (r.id === "restarts") {
    const n = r.increases.reduce((a, i) => a + i.by, 0);
    if (n > 0) {
      const times = r.increases.slice(-5).map((i) => formatClock(i.t)).join(", ");
      add("restarts", r, `${r.name}: ${fmt(r, n)} in the window, at ${times}${r.increases.length > 5 ? " (last 5)" : ""}; ${fmt(r, r.now.v)} in total`, r.increases.at(-1)?.t);
    }
    return;
  }
  if (r.id === "gpu_xid") {
    const seen: Array<{ code: number; t: number }> = [];
    let prev = 0;
    for (const q of byId.get("gpu_xid")?.find((p) => p.key === r.key)?.points ?? []) {
      if (q.v !== 0 && q.v !== prev && seen.length < 3) seen.push({ code: q.v, t: q.t });
      prev = q.v;
    }
    for (const x of seen) add("gpu_xid", r, `${r.name} ${fmt(r, x.code)} reported at ${formatClock(x.t)}`, x.t);
    return;
  }
  if (r.id === "cpu_throttled_ratio") {
    if (r.max.v < 0.005) {
      add("throttling", r, `CPU${r.qualifier ? ` (${r.qualifier})` : ""} not throttled in the window`);
      return;
    }
    add("throttling", r, `CPU${r.qualifier ? ` (${r.qualifier})` : ""} throttled in ${formatRatio(r.now.v)} of periods now, mean ${formatRatio(r.mean ?? 0)}, max ${formatRatio(r.max.v)}`);
    stepFindings(r, add);
    return;
  }
  if (r.id === "request_errors" && r.max.v === 0) return;

  if (!folded) {
    const showLimit = r.limit !== undefined && r.id !== "kv_cache_usage";
    const limitWord = r.id === "gpu_memory_used" ? "" : " limit";
    const level = showLimit && r.limit !== undefined
      ? `${fmt(r, r.now.v)} of ${fmt(r, r.limit)}${limitWord} (${formatRatio(r.fractionOfLimit ?? 0)})`
      : fmt(r, r.now.v);
    const request = r.request !== undefined ? `; request ${fmt(r, r.request)}` : "";
    const lo = fmt(r, r.min.v);
    const hi = fmt(r, r.max.v);
    add("level", r, `${r.name} ${level}${trendText(r)}${request}${lo === hi ? "" : `; min ${lo}, max ${hi}`}`);
  }
  if (r.limitReachedAt !== undefined && r.limit !== undefined && r.now) {
    const what = r.id === "kv_cache_usage" ? "100%" : `its ${fmt(r, r.limit)}${r.id === "gpu_memory_used" ? " capacity" : " limit"}`;
    add("projection", r, `${r.name} reaches ${what} in about ${formatDuration(r.limitReachedAt - r.now.t)} at this rate (around ${formatClock(r.limitReachedAt)})`, r.limitReachedAt);
  }
  if (r.secondsAbove90 && r.limit !== undefined) {
    const span = m.end - m.start;
    const of = r.id === "gpu_memory_used" ? "capacity" : r.id === "kv_cache_usage" ? "the cache" : "its limit";
    add("above_90", r, `${r.name} above 90% of ${of} for ${formatDuration(Math.min(r.secondsAbove90, span))} of the ${formatDuration(span)} window`);
  }
  stepFindings(r, add);
}

function stepFindings(r: SeriesReading, add: Add): void {
  for (const s of r.steps) {
    const up = s.to > s.from;
    add("step", r, `${r.name} stepped ${up ? "up" : "down"} ${fmt(r, Math.abs(s.to - s.from))} at ${formatClock(s.t)} (${fmt(r, s.from)} to ${fmt(r, s.to)})`, s.t);
  }
}

function relations(byId: Map<SeriesId, Parsed[]>, readingOf: Map<MetricsSeries, SeriesReading>, step: number, context: ReadingContext, add: Add): void {
  const memory = byId.get("memory_working_set") ?? [];
  const limits = byId.get("memory_limit") ?? [];

  // Memory just before each restart: at the limit means the kernel's OOM killer.
  for (const rs of byId.get("restarts") ?? []) {
    const mem = sameKey(memory, rs.key);
    if (!mem) continue;
    const memReading = readingOf.get(mem.s);
    const limitAt = sameKey(limits, rs.key) ? stepLookup(sameKey(limits, rs.key)?.points ?? []) : undefined;
    const before = Math.max(300, 3 * step);
    for (const inc of counterIncreases(rs.points).slice(-5)) {
      let peak: Point | undefined;
      for (const q of mem.points) if (q.t > inc.t - before && q.t <= inc.t && (!peak || q.v > peak.v)) peak = q;
      const limit = limitAt?.(inc.t);
      if (!peak || limit === undefined || limit <= 0 || !memReading) continue;
      const share = peak.v / limit;
      const where = `${fmt(memReading, peak.v)} of ${fmt(memReading, limit)} limit (${formatRatio(share)})`;
      const who = memReading.qualifier ? ` (${memReading.qualifier})` : "";
      if (share >= NEAR_LIMIT) add("oom_at_limit", memReading, `restart${who} at ${formatClock(inc.t)} with memory working set at ${where} just before: an OOM kill`, inc.t);
      else add("restart_below_limit", memReading, `restart${who} at ${formatClock(inc.t)} with memory working set at ${where} just before: not memory`, inc.t);
    }
  }

  // Memory rising: with the traffic (load) or without it (a leak).
  const load = (byId.get("request_rate") ?? [])[0] ?? (byId.get("requests_running") ?? [])[0];
  for (const mem of memory) {
    const r = readingOf.get(mem.s);
    if (!r?.trend || r.trend.direction !== "rising") continue;
    const rate = formatPerHour(r.trend.slopePerHour, r.unit);
    if (!load?.points.length) {
      add("memory_rising", r, `${r.name} rising ${rate} since ${formatClock(r.trend.since)}; no request-rate series to tell a leak from load`);
      continue;
    }
    const since = r.trend.since;
    const seg = load.points.filter((q) => q.t >= since);
    if (seg.length < 6) continue;
    const third = Math.max(1, Math.floor(seg.length / 3));
    const avg = (xs: Point[]) => xs.reduce((n, q) => n + q.v, 0) / Math.max(1, xs.length);
    const a = avg(seg.slice(0, third));
    const b = avg(seg.slice(-third));
    const rel = (b - a) / Math.max(Math.abs(a), Math.abs(b), 1e-9);
    const loadAt = new Map(seg.map((q) => [q.t, q.v]));
    const pairs = mem.points.filter((q) => q.t >= since && loadAt.has(q.t));
    const corr = correlation(pairs.map((q) => q.v), pairs.map((q) => loadAt.get(q.t) ?? 0));
    const loadReading = readingOf.get(load.s);
    const loadName = loadReading ? SERIES_LABELS[loadReading.id] : "request rate";
    const span = loadReading ? `${fmt(loadReading, a)} to ${fmt(loadReading, b)}` : "";
    if (rel <= 0.2) {
      add("memory_leak", r, `${r.name} rising ${rate} since ${formatClock(since)} while ${loadName} ${rel < -0.2 ? "fell" : "stayed flat"} (${span}): a leak`);
    } else if (corr >= 0.5) {
      add("load_growth", r, `${r.name} rising ${rate} since ${formatClock(since)} with ${loadName} (${span}, correlation ${corr.toFixed(2)}): load`);
    } else {
      add("memory_rising", r, `${r.name} rising ${rate} since ${formatClock(since)}; ${loadName} rose too (${span}) but not in step (correlation ${corr.toFixed(2)})`);
    }
  }

  // Throttled at the limit: the limit is too low; throttled well below it: bursts.
  for (const th of byId.get("cpu_throttled_ratio") ?? []) {
    const tr = readingOf.get(th.s);
    const usage = sameKey(byId.get("cpu_usage") ?? [], th.key);
    const ur = usage ? readingOf.get(usage.s) : undefined;
    if (!tr || tr.mean === undefined || tr.mean < THROTTLED || !ur || ur.mean === undefined) continue;
    const who = tr.qualifier ? ` (${tr.qualifier})` : "";
    if (ur.limit === undefined) continue;
    const share = ur.mean / ur.limit;
    const at = `${fmt(ur, ur.mean)} of ${fmt(ur, ur.limit)} limit on average (${formatRatio(share)})`;
    if (share >= 0.8) {
      const free = context.nodeCpuFreeCores;
      const node =
        free === undefined
          ? ": the limit is too low for the load (the node's free CPU was not read)"
          : free >= 1
            ? ` while the node has ${fmt(ur, free)} free: the limit is too low`
            : ` and the node has only ${fmt(ur, Math.max(0, free))} free: the node is busy too`;
      add("cpu_limit_too_low", ur, `CPU${who} throttled in ${formatRatio(tr.mean)} of periods at ${at}${node}`);
    } else {
      add("cpu_bursts", ur, `CPU${who} throttled in ${formatRatio(tr.mean)} of periods though usage averages ${at}: short bursts hit the limit`);
    }
  }
}

const GROUPS: Array<{ ids: SeriesId[]; line: string }> = [
  {
    ids: ["memory_working_set", "cpu_usage", "cpu_throttled_ratio"],
    line: "no cAdvisor series for this pod (memory, CPU, throttling): Prometheus does not scrape the kubelet's /metrics/cadvisor, or the pod did not run in the window",
  },
  {
    ids: ["memory_limit", "memory_request", "cpu_limit", "cpu_request", "restarts"],
    line: "no kube-state-metrics series for this pod (limits, requests, restarts): kube-state-metrics is not installed or not scraped",
  },
  {
    ids: ["gpu_memory_used", "gpu_memory_free", "gpu_util", "gpu_xid"],
    line: "no GPU series for this pod: it has no GPU, or dcgm-exporter does not map GPUs to pods",
  },
  {
    ids: ["requests_running", "requests_waiting", "kv_cache_usage", "request_rate", "request_errors"],
    line: "no model-server series for this pod: it exports no vLLM, TGI or Triton metrics, or Prometheus does not scrape them",
  },
];

function absentFindings(absent: SeriesId[], add: Add): void {
  const missing = new Set(absent);
  const partial: SeriesId[] = [];
  for (const g of GROUPS) {
    const gone = g.ids.filter((id) => missing.has(id));
    const first = g.ids[0];
    if (!first) continue;
    if (gone.length === g.ids.length) add("absent", { id: first, key: "" }, g.line);
    else partial.push(...gone);
  }
  // No aborted or failed request yet means no such series: not worth a line.
  const worth = partial.filter((id) => id !== "request_errors");
  const first = worth[0];
  if (first) add("absent", { id: first, key: "" }, `no series for ${worth.map((id) => SERIES_LABELS[id]).join(", ")}: not set for this pod, or not exported`);
}

function gapFindings(readings: SeriesReading[], add: Add): void {
  const gapped = readings.filter((r) => r.missingSeconds > 0);
  const odd = readings.filter((r) => r.nonFinite > 0);
  const first = gapped[0] ?? odd[0];
  if (!first) return;
  const parts: string[] = [];
  if (gapped.length) parts.push(`gaps in ${gapped.slice(0, 4).map((r) => `${r.name} (${formatDuration(r.missingSeconds)} missing)`).join(", ")}${gapped.length > 4 ? ` and ${gapped.length - 4} more` : ""}`);
  if (odd.length) parts.push(`${odd.reduce((n, r) => n + r.nonFinite, 0)} NaN/Inf samples left out (${odd.slice(0, 4).map((r) => r.name).join(", ")}${odd.length > 4 ? "..." : ""})`);
  add("gaps", first, parts.join("; "));
}
