import Link from "next/link";
import type { AlertHistoryState } from "@/lib/triage/page-data";

const when = (iso: string) => new Date(iso).toLocaleString("en-GB", { timeZone: "UTC", dateStyle: "medium", timeStyle: "short" }) + " UTC";

/** An alert's episodes as the webhook saw them (fired, resolved, re-fired), newest first, with their analyses and the issue. */
export function AlertEpisodes({ history }: { history: AlertHistoryState }) {
  const { episodes, otherAnalyses, issue } = history;
  if (episodes.length === 0 && otherAnalyses.length === 0 && !issue) return null;
  return (
    <section aria-labelledby="alert-history-heading" className="space-y-2" data-testid="alert-history">
      <h2 id="alert-history-heading" className="text-lg font-semibold">
        History
      </h2>
      {issue && (
        <p className="text-sm" data-testid="alert-history-issue">
          Issue:{" "}
          <a href={issue.url} target="_blank" rel="noopener noreferrer" className="text-sky-700 underline dark:text-sky-300">
            #{issue.number}
          </a>
          {issue.closedAt ? ` (closed ${when(issue.closedAt)})` : ""}
        </p>
      )}
      {episodes.length > 0 && (
        <ol className="space-y-2 text-sm">
          {episodes.map((e, i) => (
            <li key={e.startsAt} data-testid="alert-episode" className="rounded border border-slate-200 p-2 dark:border-slate-800">
              <p>
                <span className="font-medium">{i < episodes.length - 1 ? "Fired again" : "Fired"}</span> {when(e.startsAt)}
                {" · "}
                {e.resolvedAt ? <>resolved {when(e.resolvedAt)}</> : <span className="text-red-700 dark:text-red-400">not resolved</span>}
              </p>
              <AnalysisLinks analyses={e.analyses} />
            </li>
          ))}
        </ol>
      )}
      {otherAnalyses.length > 0 && (
        <div className="text-sm">
          <p className="text-slate-600 dark:text-slate-400">Analyses outside the recorded episodes:</p>
          <AnalysisLinks analyses={otherAnalyses} />
        </div>
      )}
    </section>
  );
}

function AnalysisLinks({ analyses }: { analyses: AlertHistoryState["otherAnalyses"] }) {
  if (analyses.length === 0) return <p className="text-slate-600 dark:text-slate-400">No analysis.</p>;
  return (
    <ul className="mt-1 space-y-0.5">
      {analyses.map((a) => (
        <li key={a.id}>
          <Link href={`/analyses/${a.id}`} className="text-sky-700 underline dark:text-sky-300">
            Analysis of {when(a.createdAt)}
          </Link>{" "}
          <span className="text-slate-600 dark:text-slate-400">
            {a.status}
            {a.topHypothesis ? `: ${a.topHypothesis.title}` : ""}
            {a.issueNumber ? ` · issue #${a.issueNumber}` : ""}
          </span>
        </li>
      ))}
    </ul>
  );
}
