"use client";

import { STEP_LABELS, stepNameSchema, type ProgressMap, type StepName } from "@/lib/analysis/api";
import { cn } from "@/lib/utils";

/** Reads that only some pods have (an owner, a node, an autoscaler): listed once the pipeline reports them. */
const WHEN_REPORTED = new Set<StepName>(["ownerEvents", "workload", "siblings", "node", "hpa"]);

const ICON: Record<string, string> = { started: "…", progress: "…", done: "✓", failed: "✕", skipped: "–" };

/** Live pipeline progress: one row per step with its status and detail, and Gemini's first hypothesis as soon as it has streamed. */
export function ProgressSteps({ progress }: { progress: ProgressMap | undefined }) {
  const first = progress?.gemini?.status === "progress" ? progress.gemini.hypothesis : undefined;
  return (
    <div className="space-y-2">
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
      {first && (
        <div role="status" data-testid="first-hypothesis" className="rounded border border-sky-200 bg-sky-50 p-2 text-sm dark:border-sky-900 dark:bg-sky-950/40">
          <p className="text-xs text-slate-600 dark:text-slate-400">First hypothesis (the rest of the report is still being written; quotes not yet checked)</p>
          <p className="font-medium">
            {first.title} <span className="text-xs font-normal text-slate-600 dark:text-slate-400">· {first.likelihood} likelihood</span>
          </p>
          {first.explanation && <p className="line-clamp-3 text-slate-700 dark:text-slate-300">{first.explanation}</p>}
        </div>
      )}
    </div>
  );
}

/** The steps an analysis went through, kept after it ends (collapsed): a fast offline run still shows its work. */
export function FinishedSteps({ progress }: { progress: ProgressMap | undefined }) {
  if (!progress || Object.keys(progress).length === 0) return null;
  const steps = Object.values(progress);
  const failed = steps.filter((p) => p.status === "failed").length;
  return (
    <details data-testid="finished-steps" className="max-w-md rounded border border-slate-200 px-3 py-1 text-sm dark:border-slate-800">
      <summary className="cursor-pointer text-slate-600 dark:text-slate-400">
        Steps: {steps.filter((p) => p.status === "done").length} done{failed ? `, ${failed} failed` : ""}
      </summary>
      <div className="py-2">
        <ProgressSteps progress={progress} />
      </div>
    </details>
  );
}
