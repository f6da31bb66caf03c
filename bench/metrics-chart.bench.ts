/**
 * Issue 15, item 7: a metrics chart renders in under 50 ms. The console's own chart code (the options of
 * components/analysis/metrics-chart-options and the chart data of lib/prometheus/charts) and uPlot,
 * bundled with esbuild and run in Debian's Chromium: the time from `new uPlot` to its first draw, for
 * one chart of six series of 300 points, and for every chart of an 18-series bundle.
 */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { chromium, type Browser } from "@playwright/test";
import { build } from "esbuild";
import { CHROMIUM_ARGS, QUICK, summarize, ms } from "./helpers";

export const name = "metrics-chart";

const ROOT = resolve(import.meta.dirname, "..");
const RUNS = QUICK ? 5 : 40;

const ENTRY = `
import uPlot from "uplot";
import { chartOptions } from "@/components/analysis/metrics-chart-options";
import { buildMetricsCharts } from "@/lib/prometheus/charts";
import { readMetrics } from "@/lib/prometheus/reading";

const GiB = 2 ** 30;
const START = 1_796_000_000;
const STEP = 36;

function sixLines(points) {
  const x = Array.from({ length: points }, (_, i) => START + i * STEP);
  const wave = (k) => x.map((_, i) => (k + 1) * GiB + Math.sin(i / (7 + k)) * GiB * 0.4);
  const roles = ["value", "limit", "request", "secondary", "secondary", "secondary"];
  return {
    key: "six", title: "Six series", summary: "six series", x, markers: [{ time: START + (points / 2) * STEP, label: "alert started" }],
    lines: roles.map((role, k) => ({ label: "s" + k, role, unit: "bytes", rate: false, axis: "left", values: wave(k) })),
  };
}

function bundle(points) {
  const ids = ["memory_working_set", "memory_limit", "memory_request", "cpu_usage", "cpu_limit", "cpu_request", "cpu_throttled_ratio", "restarts",
    "gpu_memory_used", "gpu_memory_free", "gpu_util", "gpu_xid", "requests_running", "requests_waiting", "kv_cache_usage", "request_rate", "request_errors", "alert_expr"];
  const unit = (id) => id.startsWith("memory") || id.startsWith("gpu_memory") ? "bytes" : id.startsWith("cpu_thr") || id === "kv_cache_usage" || id === "gpu_util" ? "ratio" : id.startsWith("cpu") ? "cores" : "count";
  const value = (id, i) => id === "restarts" ? Math.floor(i / 80) : id.endsWith("_limit") ? 16 : id === "cpu_throttled_ratio" || id === "kv_cache_usage" ? 0.4 + 0.1 * Math.sin(i / 9) : 8 + (i % 80) / 10;
  return {
    source: "bench", start: START, end: START + (points - 1) * STEP, stepSeconds: STEP,
    series: ids.map((id) => ({ id, unit: unit(id), query: "q", labels: { container: "vllm" }, values: Array.from({ length: points }, (_, i) => [START + i * STEP, String(value(id, i) * (unit(id) === "bytes" ? GiB : 1))]) })),
  };
}

function render(chart, el) {
  return new Promise((done) => {
    const t0 = performance.now();
    let plot;
    const { options, data } = chartOptions(chart, { width: 640, height: 180 }, "light", uPlot.tzDate, () => done({ ms: performance.now() - t0, plot }));
    plot = new uPlot(options, data, el);
  });
}

window.benchSix = async (points) => {
  const el = document.getElementById("root");
  const { ms, plot } = await render(sixLines(points), el);
  plot.destroy();
  return ms;
};

window.benchBundle = async (points) => {
  const el = document.getElementById("root");
  const t0 = performance.now();
  const m = bundle(points);
  const charts = buildMetricsCharts(m, readMetrics(m));
  const prepared = performance.now() - t0;
  const plots = [];
  for (const c of charts) plots.push((await render(c, el)).plot);
  const total = performance.now() - t0;
  for (const p of plots) p.destroy();
  return { charts: charts.length, prepared, total };
};
`;

export async function run(): Promise<void> {
  const out = await build({
    stdin: { contents: ENTRY, resolveDir: ROOT, loader: "js" },
    bundle: true,
    format: "iife",
    platform: "browser",
    tsconfig: join(ROOT, "tsconfig.json"),
    write: false,
    minify: true,
    logLevel: "silent",
  });
  const script = out.outputFiles[0]?.text ?? "";
  const css = await readFile(join(ROOT, "node_modules/uplot/dist/uPlot.min.css"), "utf8");
  console.log(`bundle: ${(script.length / 1024).toFixed(0)} KiB (uPlot, the chart code and the reading with its zod schemas, minified)`);

  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.setContent(`<!doctype html><html><head><style>${css}</style></head><body><div id="root" style="width:640px"></div></body></html>`);
    await page.addScriptTag({ content: script });

    const six: number[] = [];
    for (let i = 0; i < RUNS; i++) six.push(await page.evaluate((n) => (window as unknown as { benchSix(n: number): Promise<number> }).benchSix(n), 300));
    const s = summarize(six.slice(1));
    console.log(`one chart, 6 series x 300 points, new uPlot to first draw (first run ${ms(six[0] ?? NaN, 1)}): p50 ${ms(s.p50, 1)}, p95 ${ms(s.p95, 1)}, max ${ms(s.max, 1)}  target < 50 ms`);

    const whole: Array<{ charts: number; prepared: number; total: number }> = [];
    for (let i = 0; i < Math.max(3, RUNS / 4); i++) {
      whole.push(await page.evaluate((n) => (window as unknown as { benchBundle(n: number): Promise<{ charts: number; prepared: number; total: number }> }).benchBundle(n), 300));
    }
    const t = summarize(whole.map((w) => w.total));
    const p = summarize(whole.map((w) => w.prepared));
    console.log(`the whole tab, 18 series x 300 points -> ${whole[0]?.charts} charts: reading + chart data p50 ${ms(p.p50, 1)}, everything drawn p50 ${ms(t.p50, 1)}, max ${ms(t.max, 1)}`);
  } finally {
    await browser?.close();
  }
}
