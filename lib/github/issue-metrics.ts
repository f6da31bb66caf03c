import { buildMetricsCharts, type MetricsChart } from "@/lib/prometheus/charts";
import { formatPerHour, formatRatio, formatValue } from "@/lib/prometheus/format";
import { readMetrics, type SeriesReading } from "@/lib/prometheus/reading";
import type { BundleMetrics, SeriesId, SeriesUnit } from "@/lib/prometheus/schema";
import { cut, escapeCell, escapeHtml, stripControls } from "@/lib/markdown/safe";

/**
 * The issue's collapsed Metrics section: per series the numbers of the reading (now, min, max, trend,
 * limit, share of the limit) as a table, and the memory and CPU charts as Mermaid `xychart-beta`
 * (rendered by github.com's Mermaid since 10.6; wire-facts-2 §6). Bounded: past its budget the charts
 * go first, then table rows, with a note saying what was left out.
 */

/** The section's bound, well inside the body's 65,536 characters. */
export const METRICS_SECTION_LIMIT = 8_000;
const MAX_ROWS = 40;
const MAX_CHARTS = 2;
/** Points per Mermaid line: enough for a shape, few enough to read the x-axis. */
const CHART_POINTS = 24;

/** Series shown as another row's limit or request column rather than a row of their own. */
const FOLDED: Partial<Record<SeriesId, SeriesId>> = {
  memory_limit: "memory_working_set",
  memory_request: "memory_working_set",
  cpu_limit: "cpu_usage",
  cpu_request: "cpu_usage",
  gpu_memory_free: "gpu_memory_used",
};
const RATE_IDS: ReadonlySet<SeriesId> = new Set(["request_rate", "request_errors"]);

function row(r: SeriesReading, cell: (s: string) => string): string {
  const fmt = (v: number | undefined) => (v === undefined ? "–" : formatValue(v, r.unit, RATE_IDS.has(r.id)));
  const t = r.trend;
  const trend = !t ? "–" : t.direction === "flat" ? "flat" : `${t.direction} ${formatPerHour(Math.abs(t.slopePerHour), r.unit, RATE_IDS.has(r.id))}`;
  const share = r.fractionOfLimit === undefined ? "–" : formatRatio(r.fractionOfLimit);
  return `| ${cell(r.name)} | ${fmt(r.now?.v)} | ${fmt(r.min?.v)} | ${fmt(r.max?.v)} | ${trend} | ${fmt(r.limit)} | ${share} |`;
}

/** A display unit for a chart's axis: bytes in GiB or MiB, everything else as read. */
function axisUnit(unit: SeriesUnit, max: number): { name: string; scale: number } {
  if (unit === "bytes") return max >= 2 ** 30 ? { name: "GiB", scale: 2 ** 30 } : { name: "MiB", scale: 2 ** 20 };
  if (unit === "ratio") return { name: "%", scale: 0.01 };
  return { name: unit, scale: 1 };
}

/** Text Mermaid reads inside double quotes: no quotes, brackets or line breaks from label values. */
function mermaidText(s: string): string {
  return cut(s.replace(/[^A-Za-z0-9 .,_:()%/-]/g, " ").replace(/\s+/g, " ").trim(), 80);
}

/** A Mermaid xychart of a chart's left-axis lines, at most CHART_POINTS points where every line has a value. */
export function mermaidChart(chart: MetricsChart): string | undefined {
  const lines = chart.lines.filter((l) => l.axis === "left");
  const main = lines[0];
  if (!main) return undefined;
  const full = chart.x.map((_, i) => i).filter((i) => lines.every((l) => l.values[i] !== null && l.values[i] !== undefined));
  if (full.length < 2) return undefined;
  const picks = Array.from(new Set(Array.from({ length: Math.min(CHART_POINTS, full.length) }, (_, k) => full[Math.round((k * (full.length - 1)) / Math.max(1, Math.min(CHART_POINTS, full.length) - 1))] ?? 0)));
  let max = 0;
  for (const l of lines) for (const i of picks) max = Math.max(max, l.values[i] ?? 0);
  const unit = axisUnit(main.unit, max);
  const num = (v: number) => String(Math.round((v / unit.scale) * 100) / 100);
  const times = picks.map((i) => `"${new Date((chart.x[i] ?? 0) * 1000).toISOString().slice(11, 16)}"`);
  const top = Math.max(1, Math.ceil((max / unit.scale) * 1.1));
  return [
    "```mermaid",
    "xychart-beta",
    `  title "${mermaidText(`${chart.title} (${lines.map((l) => l.label).join(", ")})`)}"`,
    `  x-axis [${times.join(", ")}]`,
    `  y-axis "${mermaidText(unit.name)}" 0 --> ${top}`,
    ...lines.map((l) => `  line [${picks.map((i) => num(l.values[i] ?? 0)).join(", ")}]`),
    "```",
  ].join("\n");
}

/**
 * The collapsed Metrics section of the issue, at most `limit` characters, or undefined when the bundle
 * has no metrics part. `neutralize` is the issue's ping breaker, applied to every text from the bundle.
 */
export function metricsSection(metrics: BundleMetrics | undefined, neutralize: (text: string) => string, limit = METRICS_SECTION_LIMIT): string | undefined {
  if (!metrics) return undefined;
  const cell = (s: string) => neutralize(escapeCell(cut(stripControls(s), 120)));
  const reading = readMetrics(metrics);
  const hosts = new Set(reading.series.map((r) => r.id));
  const rows = reading.series.filter((r) => r.now && !(FOLDED[r.id] && hosts.has(FOLDED[r.id] as SeriesId))).map((r) => row(r, cell));
  const charts = buildMetricsCharts(metrics, reading)
    .filter((c) => /^(memory|cpu)(:|$)/.test(c.key))
    .slice(0, MAX_CHARTS)
    .flatMap((c) => mermaidChart(c) ?? []);
  const summary = `<details><summary>${neutralize(escapeHtml(`Metrics: ${rows.length} series, ${cut(stripControls(reading.header), 300)}`))}</summary>\n\n`;
  const head = "| Series | Now | Min | Max | Trend | Limit | % of limit |\n|---|---|---|---|---|---|---|\n";
  const end = "\n\n</details>";
  const build = (shownRows: number, withCharts: boolean) => {
    const left = rows.length - shownRows;
    const dropped = [left > 0 ? `${left} more series` : "", !withCharts && charts.length ? "the charts" : ""].filter(Boolean).join(" and ");
    const note = dropped ? `\n\n_Left out to fit GitHub's limit: ${dropped}. The console's Metrics tab shows everything._` : "";
    const table = rows.length ? `${head}${rows.slice(0, shownRows).join("\n")}` : "_Prometheus answered with no series for this pod._";
    return `${summary}${table}${note}${withCharts && charts.length ? `\n\n${charts.join("\n\n")}` : ""}${end}`;
  };
  let shown = Math.min(rows.length, MAX_ROWS);
  let text = build(shown, true);
  if (text.length > limit) text = build(shown, false);
  while (text.length > limit && shown > 0) text = build(--shown, false);
  return text.length <= limit ? text : undefined;
}
