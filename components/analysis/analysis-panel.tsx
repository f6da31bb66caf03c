"use client";

import { useEffect, useRef, useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { analysisKeys, isActive, startAnalysis, type Analysis } from "@/lib/analysis/api";
import { isApiError } from "@/lib/api-client";
import { useAnalysis } from "./use-analysis";
import { FinishedSteps, ProgressSteps } from "./progress-steps";
import { ReportView } from "./report-view";
import { EvidenceTabs, isEvidenceTab, type EvidenceTab } from "./evidence-tabs";
import { SOURCE_TABS, type EvidenceFocus } from "./evidence-focus";
import { IssueDialog } from "./issue-dialog";
import { CopyButton } from "./copy-button";
import { MetricsStrip } from "./metrics-tab";
import { SeenBefore } from "./seen-before";
import { FeedbackCard } from "@/components/feedback/feedback-card";

export interface AnalysisTargetInput {
  fingerprint?: string;
  target?: { cluster?: string; namespace: string; pod: string; container?: string; alertname?: string };
}

/**
 * Analyze → live progress → the report beside the raw evidence. A second click (or a second engineer)
 * joins the running analysis; the latest analysis shows at once when the page opens.
 */
export function AnalysisPanel({ input, latestId, autoStart, askFeedback }: { input: AnalysisTargetInput; latestId?: string; autoStart?: boolean; askFeedback?: boolean }) {
  const [id, setId] = useState(latestId);
  const [chosenTab, setTab] = useState<EvidenceTab>();
  // The cited line belongs to one tab; switching to another must not outline its same-numbered line.
  const [focus, setFocus] = useState<EvidenceFocus>();
  const [issueOpen, setIssueOpen] = useState(false);
  const qc = useQueryClient();
  const analysis = useAnalysis(id);
  const start = useMutation({
    mutationFn: () => startAnalysis(input),
    onSuccess: (r) => {
      setId(r.id);
      void qc.invalidateQueries({ queryKey: analysisKeys.all });
    },
  });
  const started = useRef(false);
  useEffect(() => {
    if (autoStart && !started.current) {
      started.current = true;
      start.mutate();
    }
  }, [autoStart, start]);

  const a: Analysis | undefined = analysis.data;
  const tab = chosenTab ?? defaultTab(a);
  const running = a ? isActive(a) : false;

  return (
    <section aria-label="Analysis" data-analysis-id={a?.id} data-analysis-status={a?.status ?? (id && !analysis.error ? "loading" : "none")} className="space-y-3">
      <div className="flex flex-wrap items-center gap-2">
        <button
          type="button"
          onClick={() => start.mutate()}
          disabled={start.isPending || running}
          className="rounded bg-sky-700 px-4 py-1.5 text-sm font-medium text-white hover:bg-sky-800 disabled:opacity-50"
        >
          {a?.status === "queued" ? "Queued…" : running ? "Analyzing…" : a ? "Re-analyze" : "Analyze"}
        </button>
        {a?.status === "done" && a.markdown && <CopyButton text={a.markdown} label="Copy markdown" />}
        {a?.status === "done" && (
          <button type="button" onClick={() => setIssueOpen(true)} className="rounded border border-slate-300 px-3 py-1.5 text-sm dark:border-slate-700">
            File GitHub issue
          </button>
        )}
        {a?.issueUrl && (
          <a href={a.issueUrl} target="_blank" rel="noopener noreferrer" className="text-sm text-sky-700 underline dark:text-sky-300">
            Issue #{a.issueNumber}
          </a>
        )}
        {a && (
          <span className="text-xs text-slate-500">
            {a.status} · started by {a.startedBy ?? "unknown"} ({a.trigger}) · {new Date(a.createdAt).toLocaleString()}
            {a.resolvedAt ? ` · resolved ${new Date(a.resolvedAt).toLocaleString()}` : ""}
          </span>
        )}
      </div>
      {start.error && (
        <p role="alert" className="text-sm text-red-700">
          {start.error.message}
          {isApiError(start.error) && start.error.hint ? ` — ${start.error.hint}` : ""}
        </p>
      )}
      {!a && !start.isPending && !analysis.isPending && <p className="text-sm text-slate-500">No analysis yet. Analyze gathers the pod, its logs and events, and diagnoses the cause.</p>}
      {a?.status === "queued" && (
        <p role="status" data-testid="analysis-queued" className="text-sm text-slate-600 dark:text-slate-400">
          Queued: waiting for a free analysis slot behind other analyses. It starts on its own.
        </p>
      )}
      {a?.status === "running" && (
        <div className="max-w-md rounded border border-slate-200 p-3 dark:border-slate-800">
          <ProgressSteps progress={a.progress} />
        </div>
      )}
      {(a?.status === "done" || a?.status === "failed") && <FinishedSteps progress={a.progress} />}
      {a?.status === "failed" && (
        <div role="alert" data-testid="analysis-failed" className="flex flex-wrap items-center gap-2 rounded bg-red-50 p-2 text-sm text-red-800 dark:bg-red-950 dark:text-red-200">
          <span>The analysis failed: {a.error ?? "unknown error"}</span>
          <button
            type="button"
            onClick={() => start.mutate()}
            disabled={start.isPending}
            className="rounded border border-red-300 px-2 py-0.5 font-medium hover:bg-red-100 disabled:opacity-50 dark:border-red-800 dark:hover:bg-red-900"
          >
            Retry analysis
          </button>
        </div>
      )}
      {a?.status === "done" && a.report && a.bundle && (
        <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
          <div className="min-w-0 space-y-4">
            <FeedbackCard key={a.id} analysisId={a.id} hypotheses={a.report.hypotheses} ask={askFeedback && a.id === latestId} />
            <MetricsStrip bundle={a.bundle} />
            <SeenBefore analysisId={a.id} />
            <ReportView
              report={a.report}
              markdown={a.markdown ?? ""}
              onJump={(source, line, text) => {
                const t = SOURCE_TABS[source];
                if (!t || !isEvidenceTab(t)) return;
                setTab(t);
                setFocus((f) => ({ tab: t, line, text, n: (f?.n ?? 0) + 1 }));
              }}
            />
          </div>
          <EvidenceTabs bundle={a.bundle} report={a.report} tab={tab} onTab={setTab} focus={focus} />
        </div>
      )}
      {issueOpen && a && <IssueDialog analysisId={a.id} onClose={() => setIssueOpen(false)} />}
    </section>
  );
}

/** Open the first tab that has something to read: a pending pod has events but no logs. */
function defaultTab(a: Analysis | undefined): EvidenceTab {
  const b = a?.bundle;
  if (!b) return "logs";
  if (b.logs?.trim()) return "logs";
  if (b.previousLogs?.trim()) return "previousLogs";
  return b.events.length ? "events" : "status";
}
