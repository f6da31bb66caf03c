import type { FindingKind, MetricsReading } from "@/lib/prometheus/reading";
import type { BundleMetrics, MetricsSeries, SeriesId, SeriesUnit } from "@/lib/prometheus/schema";
import { parseValue } from "@/lib/prometheus/stats";

/**
 * The charts of a bundle's metrics, as plain data: which series go on which chart, aligned on one time
 * axis (NaN, ±Inf and missing samples as null, so a gap shows as a break, never as a line across it),
 * and the summary line each chart carries. The line is taken from the reading, never written here, so
 * the text under a chart is the line a report quotes and grounding checks. Browser-safe and pure: the
 * console's charts and the GitHub issue's table read the same charts.
 */

/** A vertical line on every chart: the alert's start, a rollout... (unix seconds). */
export interface ChartMarker {
  time: number;
  label: string;
}

export type ChartLineRole = "value" | "limit" | "request" | "secondary";

export interface ChartLine {
  /** The legend's name: `working set`, `limit`, `request`, `throttled`... */
  label: string;
  role: ChartLineRole;
  unit: SeriesUnit;
  /** `requests` per second rather than a count (formatValue's `rate`). */
  rate: boolean;
  /** Left axis, or right for a second unit on the same chart (CPU throttling beside CPU cores). */
  axis: "left" | "right";
  values: Array<number | null>;
}

export interface MetricsChart {
  /** Unique per bundle: `memory`, `memory:proxy`, `gpu_memory:GPU-…`. */
  key: string;
  title: string;
  /** The reading's line for this chart's series. */
  summary: string;
  /** Unix seconds, ascending; a null sample on every line marks a gap. */
  x: number[];
  lines: ChartLine[];
  markers: ChartMarker[];
}

interface LineSpec {
  id: SeriesId;
  label: string;
  role: ChartLineRole;
  axis?: "left" | "right";
}

interface ChartSpec {
  kind: string;
  title: string;
  main: LineSpec;
  others: LineSpec[];
  /** Findings whose line summarises the chart, best first (all about the main series). */
  summary: FindingKind[];
}

/** The charts in the order the tab shows them; each needs its main series and a summary line. */
const SPECS: ChartSpec[] = [
  {
    kind: "memory",
    title: "Memory",
    main: { id: "memory_working_set", label: "working set", role: "value" },
    others: [
      { id: "memory_limit", label: "limit", role: "limit" },
      { id: "memory_request", label: "request", role: "request" },
    ],
    summary: ["level"],
  },
  {
    kind: "cpu",
    title: "CPU",
    main: { id: "cpu_usage", label: "usage", role: "value" },
    others: [
      { id: "cpu_limit", label: "limit", role: "limit" },
      { id: "cpu_request", label: "request", role: "request" },
      { id: "cpu_throttled_ratio", label: "throttled", role: "secondary", axis: "right" },
    ],
    summary: ["cpu_limit_too_low", "cpu_bursts", "level"],
  },
  {
    kind: "gpu_memory",
    title: "GPU memory",
    main: { id: "gpu_memory_used", label: "used", role: "value" },
    others: [],
    summary: ["level"],
  },
  {
    kind: "restarts",
    title: "Restarts",
    main: { id: "restarts", label: "restarts", role: "value" },
    others: [],
    summary: ["restarts"],
  },
  {
    kind: "load",
    title: "Model server load",
    main: { id: "requests_running", label: "running", role: "value" },
    others: [
      { id: "requests_waiting", label: "waiting", role: "secondary" },
      { id: "request_rate", label: "request rate", role: "secondary", axis: "right" },
    ],
    summary: ["level"],
  },
  {
    kind: "alert_expr",
    title: "Alert expression",
    main: { id: "alert_expr", label: "alert expression", role: "value" },
    others: [],
    summary: ["level"],
  },
];

const RATE_IDS: ReadonlySet<SeriesId> = new Set(["request_rate", "request_errors"]);

function byKey(list: MetricsSeries[], key: string, keyOf: (s: MetricsSeries) => string): MetricsSeries | undefined {
  return list.find((s) => keyOf(s) === key) ?? (list.length === 1 ? list[0] : undefined);
}

/** The sample times of all lines, with one extra time inside each gap longer than 1.5 steps. */
function timeAxis(series: MetricsSeries[], step: number): number[] {
  const times = [...new Set(series.flatMap((s) => s.values.map(([t]) => t)))].sort((a, b) => a - b);
  const x: number[] = [];
  for (const t of times) {
    const prev = x.at(-1);
    if (prev !== undefined && t - prev > 1.5 * step) x.push(prev + step);
    x.push(t);
  }
  return x;
}

function aligned(x: number[], values: Array<[number, number] | undefined>): Array<number | null> {
  const at = new Map<number, number>();
  for (const p of values) if (p && Number.isFinite(p[1])) at.set(p[0], p[1]);
  return x.map((t) => at.get(t) ?? null);
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

const samples = (s: MetricsSeries): Array<[number, number]> => s.values.map(([t, v]) => [t, parseValue(v)]);

/**
 * The charts of a bundle's metrics, each with its summary line from `reading` (readMetrics of the same
 * metrics). A chart whose main series has no finite value, or no line in the reading, is left out: an
 * absent metric gets a sentence (the reading's `absent` lines), never an empty chart.
 */
export function buildMetricsCharts(metrics: BundleMetrics, reading: MetricsReading, markers: ChartMarker[] = []): MetricsChart[] {
  const readingOf = (s: MetricsSeries) => reading.series.find((r) => r.id === s.id && (r.labels === s.labels || sameLabels(r.labels, s.labels)));
  const keyOf = (s: MetricsSeries) => readingOf(s)?.key ?? "";
  const ofId = (id: SeriesId) => metrics.series.filter((s) => s.id === id);
  const charts: MetricsChart[] = [];

  for (const spec of SPECS) {
    const mains = ofId(spec.main.id);
    for (const main of mains) {
      const r = readingOf(main);
      const key = r?.key ?? "";
      if (!r?.now) continue;
      const summary = spec.summary
        .map((kind) => reading.findings.find((f) => f.kind === kind && f.id === spec.main.id && f.key === key))
        .find((f) => f !== undefined)?.line;
      if (!summary) continue;

      const parts: Array<{ spec: LineSpec; series: MetricsSeries }> = [{ spec: spec.main, series: main }];
      for (const o of spec.others) {
        const s = byKey(ofId(o.id), key, keyOf);
        if (s) parts.push({ spec: o, series: s });
      }
      const x = timeAxis(parts.map((p) => p.series), metrics.stepSeconds);
      const lines: ChartLine[] = parts.map(({ spec: ls, series }) => ({
        label: ls.label,
        role: ls.role,
        unit: series.unit,
        rate: RATE_IDS.has(series.id),
        axis: ls.axis ?? "left",
        values: aligned(x, samples(series)),
      }));
      if (spec.kind === "gpu_memory") {
        // dcgm-exporter reports used and free; the card's size is their sum.
        const free = byKey(ofId("gpu_memory_free"), key, keyOf);
        if (free) {
          const used = lines[0]?.values ?? [];
          const freeAt = aligned(x, samples(free));
          lines.push({ label: "capacity", role: "limit", unit: main.unit, rate: false, axis: "left", values: used.map((u, i) => (u === null || freeAt[i] == null ? null : u + (freeAt[i] ?? 0))) });
        }
      }
      const first = x[0] ?? 0;
      const last = x.at(-1) ?? 0;
      charts.push({
        key: mains.length > 1 ? `${spec.kind}:${key}` : spec.kind,
        title: r.qualifier ? `${spec.title} (${r.qualifier})` : spec.title,
        summary,
        x,
        lines,
        markers: markers.filter((m) => Number.isFinite(m.time) && m.time >= first && m.time <= last),
      });
    }
  }
  return charts;
}

/** The alert's start as a marker, when it is a readable time. */
export function alertStartMarker(startsAt: string | undefined): ChartMarker[] {
  const t = startsAt ? Date.parse(startsAt) : NaN;
  return Number.isFinite(t) ? [{ time: t / 1000, label: "alert started" }] : [];
}
