"use client";

import { useMemo } from "react";
import type { EvidenceBundle } from "@/lib/analysis/api";
import { alertStartMarker, buildMetricsCharts, type ChartMarker, type MetricsChart as Chart } from "@/lib/prometheus/charts";
import { readMetrics, type MetricsReading } from "@/lib/prometheus/reading";
import { cn } from "@/lib/utils";
import { MetricsChart } from "./metrics-chart";

export interface MetricsView {
  reading?: MetricsReading;
  charts: Chart[];
  /** The bundle's `metrics` failures: why there are no series, or why some are missing. */
  errors: string[];
  /** The reading's lines on what is not exported for this pod, and why. */
  absent: string[];
}

const NO_MARKERS: ChartMarker[] = [];

/** Read a bundle's metrics once for the tab and the report's strip; `markers` beyond the alert's start (rollouts...). */
export function useMetricsView(bundle: EvidenceBundle, markers: ChartMarker[] = NO_MARKERS): MetricsView {
  return useMemo(() => {
    const errors = bundle.errors.filter((e) => e.part === "metrics").map((e) => e.message);
    if (!bundle.metrics) return { charts: [], errors, absent: [] };
    const reading = readMetrics(bundle.metrics);
    const charts = buildMetricsCharts(bundle.metrics, reading, [...alertStartMarker(bundle.alert.startsAt), ...markers]);
    const absent = reading.findings.filter((f) => f.kind === "absent").map((f) => f.line);
    return { reading, charts, errors, absent };
  }, [bundle, markers]);
}

function Notes({ view }: { view: MetricsView }) {
  if (view.errors.length === 0 && view.absent.length === 0) return null;
  return (
    <ul className="space-y-1 text-xs text-amber-800 dark:text-amber-200" data-testid="metrics-absent">
      {view.errors.map((e, i) => (
        <li key={`e${i}`}>⚠ {e}</li>
      ))}
      {view.absent.map((a, i) => (
        <li key={`a${i}`}>{a}</li>
      ))}
    </ul>
  );
}

/** The Metrics tab: every chart of the pod's series with its summary line, and what is absent and why. */
export function MetricsTab({ bundle, markers }: { bundle: EvidenceBundle; markers?: ChartMarker[] }) {
  const view = useMetricsView(bundle, markers);
  if (!view.reading) {
    return (
      <div className="space-y-2 p-3 text-sm" data-testid="metrics-none">
        <p>No metrics were read for this analysis.</p>
        {view.errors.length > 0 ? (
          <Notes view={view} />
        ) : (
          <p className="text-slate-600 dark:text-slate-400">
            The analysis ran without a Prometheus: set PROMETHEUS_URL (or let the console reach the Prometheus in the alert&apos;s generatorURL) and analyze again.
          </p>
        )}
      </div>
    );
  }
  return (
    <div tabIndex={0} className="max-h-[70vh] space-y-4 overflow-y-auto overflow-x-hidden p-3">
      <p className="text-xs text-slate-500">{view.reading.header}</p>
      {view.charts.length === 0 && <p className="text-sm">Prometheus answered, but with no series of this pod to chart.</p>}
      {view.charts.map((c) => (
        <MetricsChart key={c.key} chart={c} />
      ))}
      <Notes view={view} />
    </div>
  );
}

/** The report's strip: the memory, CPU, GPU memory and restart charts, small, side by side where there is room. */
export function MetricsStrip({ bundle, markers, className }: { bundle: EvidenceBundle; markers?: ChartMarker[]; className?: string }) {
  const view = useMetricsView(bundle, markers);
  const charts = view.charts.filter((c) => /^(memory|cpu|gpu_memory|restarts)(:|$)/.test(c.key)).slice(0, 4);
  if (charts.length === 0) return null;
  return (
    <section aria-label="Vital signs" data-testid="metrics-strip" className={cn("rounded border border-slate-200 p-3 dark:border-slate-800", className)}>
      <h3 className="mb-2 text-sm font-semibold">Vital signs</h3>
      <div className="grid gap-3 sm:grid-cols-2">
        {charts.map((c) => (
          <MetricsChart key={c.key} chart={c} height={120} />
        ))}
      </div>
    </section>
  );
}
