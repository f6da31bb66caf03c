"use client";

import { QUOTE_CLASS } from "./evidence-focus";
import "uplot/dist/uPlot.min.css";
import { useEffect, useRef, useSyncExternalStore } from "react";
import type uPlot from "uplot";
import type { MetricsChart as Chart } from "@/lib/prometheus/charts";
import { cn } from "@/lib/utils";
import { chartOptions } from "./metrics-chart-options";

const DARK = "(prefers-color-scheme: dark)";

function subscribeTheme(onChange: () => void): () => void {
  const mq = window.matchMedia(DARK);
  mq.addEventListener("change", onChange);
  return () => mq.removeEventListener("change", onChange);
}

/** The page's colour scheme (Tailwind's `dark:` follows the same media query); light on the server. */
function useTheme(): "light" | "dark" {
  return useSyncExternalStore(
    subscribeTheme,
    () => (window.matchMedia(DARK).matches ? "dark" : "light"),
    () => "light",
  );
}

/**
 * One metrics chart (uPlot on a canvas, loaded in the browser only), as wide as its container, with
 * values on hover in the legend and the reading's summary line under it. The canvas is hidden from
 * screen readers, which read the title and that line instead. `data-render-ms` holds the time from
 * creating the chart to its first draw.
 */
export function MetricsChart({ chart, height = 180, className }: { chart: Chart; height?: number; className?: string }) {
  const theme = useTheme();
  const box = useRef<HTMLDivElement>(null);
  const summaryId = `metrics-summary-${chart.key.replace(/[^A-Za-z0-9_-]/g, "_")}`;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let cancelled = false;
    let plot: uPlot | undefined;
    let observer: ResizeObserver | undefined;
    void import("uplot").then(({ default: UPlot }) => {
      if (cancelled) return;
      const t0 = performance.now();
      let first = true;
      const { options, data } = chartOptions(chart, { width: Math.max(200, el.clientWidth), height }, theme, UPlot.tzDate, () => {
        if (!first) return;
        first = false;
        el.dataset.renderMs = (performance.now() - t0).toFixed(1);
      });
      plot = new UPlot(options, data, el);
      plot.root.querySelector("canvas")?.setAttribute("aria-hidden", "true");
      let width = el.clientWidth;
      observer = new ResizeObserver(() => {
        const w = Math.max(200, el.clientWidth);
        if (w !== width) {
          width = w;
          plot?.setSize({ width: w, height });
        }
      });
      observer.observe(el);
    });
    return () => {
      cancelled = true;
      observer?.disconnect();
      plot?.destroy();
      delete el.dataset.renderMs;
    };
  }, [chart, height, theme]);

  return (
    <figure className={cn("min-w-0 space-y-1", className)} data-testid="metrics-chart" data-chart={chart.key} aria-describedby={summaryId}>
      <figcaption className="text-sm font-medium">{chart.title}</figcaption>
      {/* uPlot's root is as wide as the canvas; the box is as wide as the page allows and the chart follows it. */}
      <div ref={box} className="metrics-chart w-full min-w-0 overflow-hidden text-xs" style={{ minHeight: height }} />
      <p id={summaryId} className={cn("rounded px-1 text-xs text-slate-600 dark:text-slate-300", QUOTE_CLASS)} data-testid="metrics-summary" data-quote={chart.summary}>
        {chart.summary}
      </p>
    </figure>
  );
}
