import type uPlot from "uplot";
import type { ChartLine, ChartLineRole, MetricsChart } from "@/lib/prometheus/charts";
import { formatValue } from "@/lib/prometheus/format";

/**
 * uPlot options for one MetricsChart: values and axes in the summary's units, times in UTC (as the
 * summary lines are), limit and request lines dashed, the markers (alert start, rollouts) drawn as
 * labelled vertical lines. Kept apart from the React component so the bench measures the same options.
 */

export interface ChartPalette {
  axis: string;
  grid: string;
  marker: string;
  roles: Record<ChartLineRole, string[]>;
}

const PALETTES: Record<"light" | "dark", ChartPalette> = {
  light: {
    axis: "#475569",
    grid: "rgba(100,116,139,0.18)",
    marker: "#ea580c",
    roles: { value: ["#0369a1"], limit: ["#dc2626"], request: ["#b45309"], secondary: ["#7c3aed", "#0f766e"] },
  },
  dark: {
    axis: "#cbd5e1",
    grid: "rgba(148,163,184,0.18)",
    marker: "#fb923c",
    roles: { value: ["#38bdf8"], limit: ["#f87171"], request: ["#fbbf24"], secondary: ["#a78bfa", "#2dd4bf"] },
  },
};

const BINARY_INCRS = Array.from({ length: 51 }, (_, k) => 2 ** k);
/** Restarts and other counts tick at whole numbers. */
const WHOLE_INCRS = Array.from({ length: 10 }, (_, k) => [1, 2, 5].map((m) => m * 10 ** k)).flat();

/** An axis as wide as its longest label (uPlot's fixed default cuts `16 GiB` and `0.5 cores`). */
const fitLabels: uPlot.Axis.Size = (u, values, axisIdx) => {
  const axis = u.axes[axisIdx];
  const longest = (values ?? []).reduce((a, v) => (v.length > a.length ? v : a), "");
  u.ctx.font = axis?.font?.[0] ?? "12px system-ui, sans-serif";
  return Math.ceil(8 + 10 + u.ctx.measureText(longest).width / (devicePixelRatio || 1));
};

function fmt(line: ChartLine | undefined, v: number | null | undefined): string {
  return v === null || v === undefined || !line ? "–" : formatValue(v, line.unit, line.rate);
}

/** Vertical marker lines with their labels, drawn over the series. */
function markersPlugin(chart: MetricsChart, color: string): uPlot.Plugin {
  return {
    hooks: {
      draw: (u) => {
        const ctx = u.ctx;
        const { top, height } = u.bbox;
        const ratio = devicePixelRatio || 1;
        ctx.save();
        ctx.strokeStyle = color;
        ctx.fillStyle = color;
        ctx.lineWidth = 1.5 * ratio;
        ctx.setLineDash([4 * ratio, 3 * ratio]);
        ctx.font = `${11 * ratio}px system-ui, sans-serif`;
        ctx.textBaseline = "top";
        for (const m of chart.markers) {
          const x = Math.round(u.valToPos(m.time, "x", true));
          ctx.beginPath();
          ctx.moveTo(x, top);
          ctx.lineTo(x, top + height);
          ctx.stroke();
          const w = ctx.measureText(m.label).width;
          const right = x + 4 * ratio + w <= u.bbox.left + u.bbox.width;
          ctx.textAlign = right ? "left" : "right";
          ctx.fillText(m.label, right ? x + 4 * ratio : x - 4 * ratio, top + 2 * ratio);
        }
        ctx.restore();
      },
    },
  };
}

/**
 * The options and aligned data for `chart` at a size. `tzDate` is uPlot.tzDate (passed in so this module
 * does not load uPlot on the server); `onDraw` runs after every draw (the first one ends the render time).
 */
export function chartOptions(
  chart: MetricsChart,
  size: { width: number; height: number },
  theme: "light" | "dark",
  tzDate: (date: Date, tz: string) => Date,
  onDraw?: (u: uPlot) => void,
): { options: uPlot.Options; data: uPlot.AlignedData } {
  const p = PALETTES[theme];
  const used: Record<ChartLineRole, number> = { value: 0, limit: 0, request: 0, secondary: 0 };
  const left = chart.lines.find((l) => l.axis === "left");
  const right = chart.lines.find((l) => l.axis === "right");
  const series: uPlot.Series[] = [
    { label: "time (UTC)", value: (_u, t) => (t == null ? "–" : new Date(t * 1000).toISOString().slice(0, 16).replace("T", " ")) },
    ...chart.lines.map((l): uPlot.Series => {
      const colors = p.roles[l.role];
      const stroke = colors[used[l.role]++ % colors.length] ?? p.axis;
      return {
        label: l.label,
        scale: l.axis === "right" ? "right" : "y",
        stroke,
        width: l.role === "value" ? 2 : 1.5,
        ...(l.role === "limit" || l.role === "request" ? { dash: l.role === "limit" ? [8, 4] : [3, 3] } : {}),
        spanGaps: false,
        points: { show: false },
        value: (_u, v) => fmt(l, v),
      };
    }),
  ];
  const axis = (line: ChartLine | undefined, side: 1 | 3, scale: string): uPlot.Axis => ({
    scale,
    side,
    stroke: p.axis,
    grid: { show: side === 3, stroke: p.grid, width: 1 },
    ticks: { stroke: p.grid, width: 1 },
    size: fitLabels,
    // Bytes tick at powers of two (4 GiB, 8 GiB, 16 GiB), as limits are set; counts at whole numbers.
    ...(line?.unit === "bytes" ? { incrs: BINARY_INCRS } : line?.unit === "count" ? { incrs: WHOLE_INCRS } : {}),
    values: (_u, splits) => splits.map((v) => fmt(line, v)),
  });
  // Times as the summary lines give them: UTC, 24-hour; with the date when the window spans days.
  const span = (chart.x.at(-1) ?? 0) - (chart.x[0] ?? 0);
  const clock = (t: number) => new Date(t * 1000).toISOString().slice(span > 86_400 ? 5 : 11, 16).replace("T", " ");
  const axes: uPlot.Axis[] = [
    { stroke: p.axis, grid: { stroke: p.grid, width: 1 }, ticks: { stroke: p.grid, width: 1 }, values: (_u, splits) => splits.map(clock) },
    axis(left, 3, "y"),
    ...(right ? [axis(right, 1, "right")] : []),
  ];
  // Limits and ratios start at zero, so a line near its limit looks near it.
  const fromZero = (_u: uPlot, _min: number, max: number): [number, number] => [0, max > 0 ? max * 1.05 : 1];
  const options: uPlot.Options = {
    width: size.width,
    height: size.height,
    tzDate: (ts) => tzDate(new Date(ts * 1000), "Etc/UTC"),
    series,
    axes,
    scales: { x: { time: true }, y: { range: fromZero }, ...(right ? { right: { range: fromZero } } : {}) },
    legend: { live: true },
    cursor: { drag: { x: false, y: false }, points: { size: 6 } },
    plugins: [markersPlugin(chart, p.marker)],
    ...(onDraw ? { hooks: { draw: [onDraw] } } : {}),
  };
  return { options, data: [chart.x, ...chart.lines.map((l) => l.values)] };
}
