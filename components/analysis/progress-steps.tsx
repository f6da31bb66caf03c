"use client";

import { STEP_LABELS, stepNameSchema, type ProgressMap, type StepName } from "@/lib/analysis/api";
import { cn } from "@/lib/utils";

/** Reads that only some pods have (an owner, a node, an autoscaler): listed once the pipeline reports them. */
const WHEN_REPORTED = new Set<StepName>(["ownerEvents", "workload", "siblings", "node", "hpa"]);

const ICON: Record<string, string> = { started: "…", progress: "…", done: "✓", failed: "✕", skipped: "–" };

/** Live pipeline progress: one row per step with its status and detail. */
export function ProgressSteps({ progress }: { progress: ProgressMap | undefined }) {
  return (
    <ol aria-label="Analysis progress" className="space-y-1 text-sm">
      {stepNameSchema.options.filter((step) => !WHEN_REPORTED.has(step) || progress?.[step]).map((step) => {
        const p = progress?.[step];
        return (
          <li key={step} data-step={step} data-status={p?.status ?? "pending"} className="flex items-baseline gap-2">
            <span
              className={cn(
                "inline-block w-4 text-center font-mono",
                p?.status === "done" && "text-emerald-600",
                p?.status === "failed" && "text-red-600",
                (p?.status === "started" || p?.status === "progress") && "animate-pulse text-sky-600",
                !p && "text-slate-500",
              )}
            >
              {p ? ICON[p.status] : "○"}
            </span>
            <span className={cn(!p && "text-slate-500")}>{STEP_LABELS[step]}</span>
            {p?.detail && <span className="truncate text-xs text-slate-500">{p.detail}</span>}
          </li>
        );
      })}
    </ol>
  );
}
