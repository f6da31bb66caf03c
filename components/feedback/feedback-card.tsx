"use client";

import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { feedbackKeys, fetchFeedback } from "@/lib/feedback/api";
import { commentStatusText, verdictLabel, type Feedback } from "@/lib/feedback/types";
import { FeedbackForm, type HypothesisChoice } from "./feedback-form";

/**
 * The engineer's resolution of a finished analysis: the verdict, the actual cause, what fixed it, who and
 * when, and whether it reached the incident's issue; a form to give it or change it. `ask` (the alert has
 * resolved and nobody has said yet) opens the form with a prompt.
 */
export function FeedbackCard({ analysisId, hypotheses, ask = false }: { analysisId: string; hypotheses: HypothesisChoice[]; ask?: boolean }) {
  const q = useQuery({
    queryKey: feedbackKeys.detail(analysisId),
    queryFn: ({ signal }) => fetchFeedback(analysisId, signal),
    // A comment on its way to GitHub: look again until it is posted or has failed.
    refetchInterval: (query) => (query.state.data?.feedback?.comment.status === "pending" ? 2000 : false),
  });
  const [editing, setEditing] = useState<boolean>();
  const current = q.data?.feedback;
  const prompt = ask && q.isSuccess && !current;
  const open = editing ?? prompt;

  return (
    <section aria-label="Resolution feedback" data-testid="feedback-card" className="space-y-2 rounded border border-slate-200 p-3 dark:border-slate-800">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 className="text-sm font-semibold">Resolution</h2>
        {!open && q.isSuccess && (
          <button type="button" onClick={() => setEditing(true)} className="rounded border border-slate-300 px-2 py-0.5 text-sm dark:border-slate-700">
            {current ? "Change feedback" : "Give feedback"}
          </button>
        )}
      </div>
      {prompt && open && (
        <p role="status" data-testid="feedback-prompt" className="rounded bg-amber-50 p-2 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-100">
          The alert has resolved. Which hypothesis was right, and what fixed it? Your answer is kept with the analysis and counts toward the accuracy figures.
        </p>
      )}
      {q.error && <p className="text-sm text-red-700">{q.error.message}</p>}
      {!open && current && <FeedbackView feedback={current} earlier={(q.data?.history.length ?? 1) - 1} />}
      {!open && q.isSuccess && !current && <p className="text-sm text-slate-600 dark:text-slate-400">No feedback yet: once the incident is over, say which hypothesis was right and what fixed it.</p>}
      {open && <FeedbackForm analysisId={analysisId} hypotheses={hypotheses} current={current} onDone={() => setEditing(false)} />}
    </section>
  );
}

function FeedbackView({ feedback: f, earlier }: { feedback: Feedback; earlier: number }) {
  return (
    <div className="space-y-1 text-sm" data-testid="feedback-view">
      <p>
        <span className="font-medium" data-testid="feedback-verdict">
          {verdictLabel(f)}
        </span>
        {f.hypothesisTitle ? `: ${f.hypothesisTitle}` : ""}
        {f.category ? <span className="text-slate-500"> ({f.category})</span> : null}
      </p>
      {f.actualCause && (
        <p className="whitespace-pre-wrap break-words">
          <span className="font-medium">Actual cause:</span> {f.actualCause}
        </p>
      )}
      <p className="whitespace-pre-wrap break-words">
        <span className="font-medium">Fixed by:</span> {f.fix}
      </p>
      <p className="text-xs text-slate-600 dark:text-slate-400">
        by {f.actor}, {new Date(f.createdAt).toLocaleString()}
        {earlier > 0 ? ` · replaces ${earlier} earlier answer${earlier === 1 ? "" : "s"}` : ""}
      </p>
      <p className="text-xs text-slate-600 dark:text-slate-400" data-testid="feedback-comment-status" data-status={f.comment.status}>
        {commentStatusText(f.comment)}{" "}
        {f.comment.url && (
          <a href={f.comment.url} target="_blank" rel="noopener noreferrer" className="text-sky-700 underline dark:text-sky-300">
            View comment
          </a>
        )}
      </p>
    </div>
  );
}
